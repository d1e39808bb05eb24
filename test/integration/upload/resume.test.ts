/**
 * Resume after a kill: an upload in a child process is SIGKILLed once a checkpoint is committed;
 * the next run sends only what is missing, verified against the stored chain and page ranges.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { META_STATE, META_WATERMARK, uploadVhd } from "../../../src/upload/index.ts";
import { startAzurite, type AzuriteServer } from "../../harness/azurite.ts";
import {
  MIB,
  patternBytes,
  writeFixedVhd,
  writeDynamicVhd,
  type ImageSpec,
} from "../../helpers/vhd-fixtures.ts";
import { blobSite, type BlobSite } from "./azurite-blob.ts";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "upload-child.ts");
const dir = mkdtempSync(join(tmpdir(), "sig-publish-resume-"));
let azurite: AzuriteServer;
let site: BlobSite;

beforeAll(async () => {
  azurite = await startAzurite();
  site = await blobSite(azurite, "resume");
});
afterAll(async () => {
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** 64 MiB with 1 MiB of data in every 4 MiB page: 16 pages to send. */
function spec(seed: number): ImageSpec {
  return {
    virtualSize: 64 * MIB,
    dataAt: Array.from({ length: 16 }, (_, i) => ({
      offset: i * 4 * MIB + MIB,
      bytes: patternBytes(MIB, seed + i),
    })),
  };
}
const NON_ZERO = 16 * MIB + 512; // 16 × 1 MiB + the footer (alone in the last, 512-byte page)

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(vhd: string, blob: string, killAt: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [child, vhd, site.url(blob), azurite.accountName, azurite.accountKey, String(killAt)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("error", reject);
    p.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function lastJson(out: string): Record<string, unknown> {
  const line = out.trim().split("\n").pop() ?? "{}";
  return JSON.parse(line) as Record<string, unknown>;
}

describe("resume after the upload process is killed", () => {
  it("sends only the missing pages on the next run, and the blob is byte-identical", async () => {
    const vhd = join(dir, "a.vhd");
    writeFixedVhd(vhd, spec(1));
    const killed = await runChild(vhd, "a.vhd", 16 * MIB);
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    expect(killed.stdout).toMatch(/killing at checkpoint/);

    const state = await site.target("a.vhd").getState();
    expect(state?.metadata[META_STATE]).toBe("uploading");
    const watermark = Number(state?.metadata[META_WATERMARK]);
    expect(watermark).toBeGreaterThanOrEqual(16 * MIB);

    const done = await runChild(vhd, "a.vhd", 0);
    expect(done.code, done.stderr).toBe(0);
    const result = lastJson(done.stdout);
    expect(result.outcome).toBe("resumed");
    expect(result.resumedFrom).toBe(watermark);
    expect(result.passes).toBe(1);
    // everything below the watermark was verified and not sent again; the rest was sent once
    expect(result.bytesPresent).toBe((watermark / (4 * MIB)) * MIB);
    expect((result.bytesSent as number) + (result.bytesPresent as number)).toBe(NON_ZERO);
    expect(result.bytesSent as number).toBeLessThan(NON_ZERO);
    expect((await site.download("a.vhd")).equals(readFileSync(vhd))).toBe(true);
    expect(result.digest).toBe(lastJson((await runChild(vhd, "a.vhd", 0)).stdout).digest);
  });

  it("repairs pages missing below the watermark and clears stray pages above it", async () => {
    const vhd = join(dir, "b.vhd");
    writeDynamicVhd(vhd, spec(30));
    const killed = await runChild(vhd, "b.vhd", 12 * MIB);
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const target = site.target("b.vhd");
    const watermark = Number((await target.getState())?.metadata[META_WATERMARK]);
    expect(watermark).toBeGreaterThanOrEqual(12 * MIB);
    // Someone cleared a page we had sent (below the watermark) …
    await target.clearPages(MIB, MIB);
    // … and a request of another image landed above it, where this image has zeros.
    const junk = Buffer.alloc(512, 0x5a);
    await target.putPages(60 * MIB, junk, createHash("md5").update(junk).digest());

    const result = await uploadVhd(vhd, target, { checkpointBytes: 4 * MIB });
    expect(result.outcome).toBe("resumed");
    expect(result.bytesPresent).toBe((watermark / (4 * MIB) - 1) * MIB);
    expect(result.bytesSent + result.bytesPresent).toBe(NON_ZERO);
    const expected = join(dir, "b-fixed.vhd");
    writeFixedVhd(expected, spec(30));
    expect((await site.download("b.vhd")).equals(readFileSync(expected))).toBe(true);
  });

  it("starts over when the local image is not the one whose upload was interrupted", async () => {
    const vhd = join(dir, "c.vhd");
    writeFixedVhd(vhd, spec(50));
    const killed = await runChild(vhd, "c.vhd", 8 * MIB);
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    writeFixedVhd(vhd, spec(70)); // same size, other content (below the watermark too)
    const result = await uploadVhd(vhd, site.target("c.vhd"));
    expect(result.outcome).toBe("uploaded");
    expect(result.passes).toBe(2);
    expect(result.bytesSent).toBe(NON_ZERO);
    expect((await site.download("c.vhd")).equals(readFileSync(vhd))).toBe(true);
  });
});
