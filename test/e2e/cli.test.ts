/**
 * The CLI as users run it: `node dist/cli/index.js …` in a child process (rebuild with
 * `npm run bundle`; CI checks dist/ is fresh).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../harness/local-azure.ts";
import { MIB, patternBytes, readAll, writeFixedVhd } from "../helpers/vhd-fixtures.ts";

const CLI = resolve("dist/cli/index.js");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: cwd ?? process.cwd(),
      // a clean environment: no developer credentials, no az login
      env: { PATH: "/nonexistent", HOME: tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

function workspace(manifest: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sig-publish-cli-"));
  mkdirSync(join(dir, "images"));
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "images/web.image.yml"), manifest);
  writeFixedVhd(join(dir, "out/web.vhd"), {
    virtualSize: 32 * MIB,
    dataAt: [{ offset: 3 * MIB, bytes: patternBytes(2 * MIB, 4) }],
  });
  return dir;
}

const manifest = (subscription: string, extra = ""): string => `gallery:
  subscription: ${subscription}
  resourceGroup: rg-images
  name: cliGallery
  location: westeurope
  create: true
image:
  name: web
  publisher: Contoso
  offer: Web
  sku: web-gen2
  osType: Linux
  hyperVGeneration: V2
version:
  number: 2.0.0
  targetRegions: [westeurope, northeurope=2]
disks:
  os: out/web.vhd
staging:
  storageAccount: devstoreaccount1
${extra}`;

describe("sig-publish CLI (dist/cli)", () => {
  const dirs: string[] = [];
  let local: LocalAzure;
  beforeAll(async () => {
    local = await startLocalAzure({ arm: { timing: { retryAfterSeconds: 0 } } });
  });
  afterAll(async () => {
    await local?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("explains usage mistakes with exit code 2", async () => {
    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    expect(unknown.stderr).toContain("Usage:");
    const missing = await cli(["publish"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("publish needs --manifest FILE.");
    const badBump = await cli(["plan", "--manifest", "x.yml", "--bump", "huge"]);
    expect(badBump.code).toBe(2);
    expect(badBump.stderr).toContain("--bump must be patch, minor or major");
  });

  it("reports every manifest problem with file:line:column and no stack trace", async () => {
    const dir = workspace(manifest("not-a-guid", "  via: sideways\n"));
    dirs.push(dir);
    const run = await cli(["plan", "--manifest", "images/web.image.yml", "--workspace", dir]);
    expect(run.code).toBe(1);
    const errors = run.stderr.split("\n").filter((l) => l.startsWith("error: "));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(run.stderr).toMatch(/error: images\/web\.image\.yml:2:\d+: .*gallery\.subscription/);
    expect(run.stderr).toMatch(/error: images\/web\.image\.yml:21:\d+: .*staging\.via/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack frames
  });

  it("plans without credentials: the version is a lower bound, exit 0", async () => {
    const dir = workspace(manifest(local.subscriptionId));
    dirs.push(dir);
    const run = await cli(["plan", "--manifest", "images/web.image.yml", "--workspace", dir, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { mode: string; version: string; versionIsLowerBound: boolean };
    expect(result).toMatchObject({ mode: "plan", version: "2.0.0", versionIsLowerBound: true });
    expect(run.stderr).toContain("No Azure credentials");
  });

  it("publishes to local Azure and prints the result as JSON; status reads it back", async () => {
    const dir = workspace(manifest(local.subscriptionId));
    dirs.push(dir);
    const env = {
      ...local.env,
      SIG_PUBLISH_STATIC_TOKEN: "cli-test",
      AZURE_STORAGE_KEY: local.azurite.accountKey,
      SIG_PUBLISH_POLL_INTERVAL_MS: "100",
    };
    const args = ["--manifest", "images/web.image.yml", "--workspace", dir, "--json"];
    const run = await cli(["publish", ...args], env);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      version: string;
      replicationState: string;
      imageVersionId: string;
    };
    expect(result.version).toBe("2.0.0");
    expect(result.replicationState).toBe("Completed");
    expect(result.imageVersionId).toMatch(/cliGallery\/images\/web\/versions\/2\.0\.0$/);
    expect(run.stderr).toContain("replication northeurope: Completed 100%");

    const status = await cli(["status", ...args.filter((a) => a !== "--json")], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("## web 2.0.0: Completed");
  });

  it("upload sends one image to a page blob, and a second run sends nothing", async () => {
    const dir = workspace(manifest(local.subscriptionId));
    dirs.push(dir);
    const container = BlobServiceClient.fromConnectionString(
      local.azurite.connectionString,
    ).getContainerClient("loose");
    await container.createIfNotExists();
    const url = `${container.url}/disk.vhd`;
    const env = { AZURE_STORAGE_KEY: local.azurite.accountKey };
    const first = await cli(["upload", "--vhd", join(dir, "out/web.vhd"), "--blob-url", url, "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ outcome: "uploaded", bytesSent: 2 * MIB + 512 });
    const second = await cli(["upload", "--vhd", join(dir, "out/web.vhd"), "--blob-url", url, "--json"], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: "already-complete", bytesSent: 0 });
    const downloaded = await container.getBlobClient("disk.vhd").downloadToBuffer();
    expect(downloaded.equals(readAll(join(dir, "out/web.vhd")))).toBe(true);
  });

  it("refuses an image Azure cannot use, saying how to fix it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sig-publish-cli-"));
    dirs.push(dir);
    writeFileSync(join(dir, "odd.img"), Buffer.alloc(MIB + 512 * 3));
    const run = await cli(
      ["upload", "--vhd", join(dir, "odd.img"), "--blob-url", "http://127.0.0.1:9/x/y.vhd"],
      {
        AZURE_STORAGE_KEY: "a2V5",
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("not a multiple of 1 MiB");
    expect(run.stderr).toContain("qemu-img");
  });
});
