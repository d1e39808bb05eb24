/**
 * Starts a real Azure Storage blob server (Azurite, pinned in package.json) on a free loopback
 * port, in disk mode inside a temporary folder (in-memory mode caps at half the RAM).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freeLoopbackPort } from "./ports.ts";

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteServer {
  /** e.g. http://127.0.0.1:41234/devstoreaccount1 */
  readonly blobEndpoint: string;
  readonly accountName: string;
  readonly accountKey: string;
  readonly connectionString: string;
  readonly location: string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Keep the data folder after stop (for debugging). */
  readonly keepData?: boolean;
}

function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("azurite/package.json");
  return join(dirname(pkg), "dist", "src", "blob", "main.js");
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteServer> {
  const location = mkdtempSync(join(tmpdir(), "sig-publish-azurite-"));
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    try {
      const child = await launch(location, port);
      const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
      return {
        blobEndpoint,
        accountName: AZURITE_ACCOUNT,
        accountKey: AZURITE_KEY,
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`,
        location,
        stop: async () => {
          await stopChild(child);
          if (options.keepData !== true) rmSync(location, { recursive: true, force: true });
        },
      };
    } catch (error) {
      if (attempt >= 3) {
        rmSync(location, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

async function launch(location: string, port: number): Promise<ChildProcess> {
  const args = [
    azuriteBlobMain(),
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
    "--location",
    location,
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--silent",
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Azurite did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("successfully listens")) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}) before listening:\n${output}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
