/**
 * The upload engine against an in-memory PageBlobTarget: retries, Retry-After, failure handling,
 * the in-flight bound, and the Put Page contract (no Azurite needed).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BlobRequestError,
  assertPutPageRange,
  isRetryable,
  nonZeroRuns,
  parseRetryAfter,
  uploadVhd,
  withRetry,
  type BlobState,
  type PageBlobTarget,
  type PageRange,
} from "../../../src/upload/index.ts";
import { MIB, patternBytes, writeFixedVhd } from "../../helpers/vhd-fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "sig-publish-engine-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class MemoryTarget implements PageBlobTarget {
  readonly displayUrl = "memory://blob";
  data = Buffer.alloc(0);
  metadata: Record<string, string> = {};
  exists = false;
  inflight = 0;
  maxInflight = 0;
  puts: Array<{ offset: number; length: number }> = [];
  failPut: (offset: number, attempt: number) => unknown = () => undefined;
  readonly attempts = new Map<number, number>();

  async getState(): Promise<BlobState | undefined> {
    return this.exists ? { size: this.data.length, metadata: { ...this.metadata } } : undefined;
  }
  async create(size: number, metadata: Record<string, string>): Promise<void> {
    this.data = Buffer.alloc(size);
    this.metadata = { ...metadata };
    this.exists = true;
  }
  async putPages(offset: number, data: Buffer, md5: Buffer): Promise<void> {
    assertPutPageRange(offset, data.length);
    const attempt = (this.attempts.get(offset) ?? 0) + 1;
    this.attempts.set(offset, attempt);
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    try {
      await new Promise((r) => setTimeout(r, 1));
      const failure = this.failPut(offset, attempt);
      if (failure !== undefined) throw failure;
      expect(createHash("md5").update(data).digest().equals(md5)).toBe(true);
      data.copy(this.data, offset);
      this.puts.push({ offset, length: data.length });
    } finally {
      this.inflight--;
    }
  }
  async clearPages(offset: number, length: number): Promise<void> {
    this.data.fill(0, offset, offset + length);
  }
  async listPageRanges(): Promise<PageRange[]> {
    return this.puts.map((p) => ({ offset: p.offset, length: p.length })).sort((a, b) => a.offset - b.offset);
  }
  async setMetadata(metadata: Record<string, string>): Promise<void> {
    this.metadata = { ...metadata };
  }
}

function image(name: string, pages = 12): string {
  const p = join(dir, name);
  writeFixedVhd(p, {
    virtualSize: pages * 4 * MIB,
    dataAt: Array.from({ length: pages }, (_, i) => ({
      offset: i * 4 * MIB,
      bytes: patternBytes(4 * MIB - 4096, i + 1),
    })),
  });
  return p;
}

const noSleep = { sleep: async (): Promise<void> => undefined, random: () => 0.5 };

describe("upload engine", () => {
  it("keeps at most `concurrency` requests in flight", async () => {
    const p = image("bound.vhd");
    const target = new MemoryTarget();
    await uploadVhd(p, target, { concurrency: 3 });
    expect(target.maxInflight).toBeLessThanOrEqual(3);
    expect(target.maxInflight).toBeGreaterThan(1);
    expect(target.data.equals(readFileSync(p))).toBe(true);
    expect(Math.max(...target.puts.map((x) => x.length))).toBeLessThanOrEqual(4 * MIB);
  });

  it("retries 503 / connection resets and honours Retry-After", async () => {
    const p = image("retry.vhd", 6);
    const target = new MemoryTarget();
    const delays: number[] = [];
    target.failPut = (offset, attempt) => {
      if (offset === 4 * MIB && attempt === 1)
        return new BlobRequestError("busy", { status: 503, retryAfterMs: 2000 });
      if (offset === 8 * MIB && attempt <= 2)
        return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      return undefined;
    };
    const result = await uploadVhd(p, target, {
      retry: { ...noSleep, sleep: async (ms) => void delays.push(ms) },
    });
    expect(result.retries).toBe(3);
    expect(delays).toContain(2000);
    expect(target.data.equals(readFileSync(p))).toBe(true);
  });

  it("fails with the error when a request cannot succeed, and does not mark the blob complete", async () => {
    const p = image("fail.vhd", 6);
    const target = new MemoryTarget();
    target.failPut = (offset) =>
      offset === 8 * MIB
        ? new BlobRequestError("forbidden", { status: 403, code: "AuthorizationFailure" })
        : undefined;
    await expect(uploadVhd(p, target, { retry: noSleep })).rejects.toThrow("forbidden");
    expect(target.attempts.get(8 * MIB)).toBe(1);
    expect(target.metadata.sigpublish_state).toBe("uploading");
  });

  it("gives up after maxAttempts", async () => {
    const p = image("giveup.vhd", 6);
    const target = new MemoryTarget();
    target.failPut = () => new BlobRequestError("busy", { status: 500 });
    await expect(uploadVhd(p, target, { retry: { ...noSleep, maxAttempts: 3 } })).rejects.toThrow("busy");
    expect(Math.max(...target.attempts.values())).toBe(3);
  });

  it("reports progress with scanned, sent, skipped, rate and ETA", async () => {
    const p = image("progress.vhd", 6);
    const target = new MemoryTarget();
    const seen: Array<{ scanned: number; sent: number; skipped: number; eta: number | undefined }> = [];
    const result = await uploadVhd(p, target, {
      progressIntervalMs: 0,
      onProgress: (x) =>
        seen.push({ scanned: x.bytesScanned, sent: x.bytesSent, skipped: x.bytesSkipped, eta: x.etaSeconds }),
    });
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({
      scanned: result.bytesTotal,
      sent: result.bytesSent,
      skipped: result.bytesSkipped,
      eta: 0,
    });
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.scanned).toBeGreaterThanOrEqual(seen[i - 1]!.scanned);
  });
});

describe("retry policy", () => {
  it("classifies errors", () => {
    expect(isRetryable(new BlobRequestError("x", { status: 429 }))).toBe(true);
    expect(isRetryable(new BlobRequestError("x", { status: 503 }))).toBe(true);
    expect(isRetryable(new BlobRequestError("x", { status: 404 }))).toBe(false);
    expect(isRetryable(new BlobRequestError("x", { status: 400, code: "Md5Mismatch" }))).toBe(true);
    expect(isRetryable(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryable(new RangeError("too big"))).toBe(false);
  });

  it("parses Retry-After as seconds or a date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("backs off exponentially with jitter", async () => {
    const delays: number[] = [];
    let n = 0;
    await withRetry(
      async () => {
        if (++n < 4) throw new BlobRequestError("busy", { status: 503 });
      },
      { random: () => 1, baseDelayMs: 100, sleep: async (ms) => void delays.push(ms) },
    );
    expect(delays).toEqual([100, 200, 400]);
  });
});

describe("zero detection", () => {
  it("finds non-zero 64 KiB runs with Buffer.equals", () => {
    const b = Buffer.alloc(4 * MIB);
    b[10] = 1;
    b[64 * 1024 + 5] = 1;
    b[3 * MIB] = 1;
    expect(nonZeroRuns(b, 4 * MIB)).toEqual([
      { start: 0, end: 128 * 1024 },
      { start: 3 * MIB, end: 3 * MIB + 64 * 1024 },
    ]);
    expect(nonZeroRuns(Buffer.alloc(4 * MIB), 4 * MIB)).toEqual([]);
    const short = Buffer.alloc(4 * MIB);
    short[1000] = 9;
    expect(nonZeroRuns(short, 1024)).toEqual([{ start: 0, end: 1024 }]);
  });
});
