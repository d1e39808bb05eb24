/**
 * Uploads the logical fixed disk of an image to a page blob (PRODUCT §4 step 4).
 *
 * One sequential read pass (with a little read-ahead) does everything: each 4 MiB page is hashed
 * into the digest chain (src/core/vhd/digest.ts), scanned for all-zero 64 KiB granules with
 * Buffer.equals against a shared zero buffer, and its non-zero runs are sent as Put Page requests
 * (≤ 4 MiB, 512-aligned, each with its transactional MD5). Memory is constant: a fixed pool of
 * `concurrency + readAhead + 1` 4 MiB buffers, and at most `concurrency` requests in flight.
 *
 * Blob metadata records the upload (keys below):
 *   sigpublish_state      "uploading" | "complete"
 *   sigpublish_size       blob size in bytes
 *   sigpublish_digest     the digest (complete only)
 *   sigpublish_watermark  (uploading) every page below this offset was stored
 *   sigpublish_chain      (uploading) the digest chain value C_k at the watermark (k = watermark / 4 MiB)
 *
 * Re-runs:
 *   - complete + same size: a hash-only local pass (one read of the file, no upload) proves the
 *     digest; equal → nothing is sent. Different → `onMismatch` ("overwrite" by default: the blob
 *     is recreated and uploaded; "error": refuse).
 *   - uploading + same size + a checkpoint: resume. The blob's page ranges are listed; everything
 *     above the watermark is cleared (requests that finished after the last checkpoint may hold
 *     another image's bytes); the normal pass runs, but below the watermark it only sends runs the
 *     page ranges do not cover, and when it reaches the watermark it compares the local chain with
 *     the stored one. A mismatch (the local image is not the one that was being uploaded) recreates
 *     the blob and uploads everything (a second read of the file, only in that case).
 *   - anything else at the path (other size, no sigpublish metadata): `onMismatch`.
 */
import { hash } from "node:crypto";
import { CHUNK_SIZE, digestDisk, type LogicalDisk } from "../core/vhd/reader.ts";
import { DigestChain, ZERO_PAGE, isDigest } from "../core/vhd/digest.ts";
import type { VhdFacts } from "../core/vhd/inspect.ts";
import { withRetry, type RetryOptions, type RetryStats } from "./retry.ts";
import { type BlobState, type PageBlobTarget, type PageRange } from "./target.ts";

export const META_STATE = "sigpublish_state";
export const META_SIZE = "sigpublish_size";
export const META_DIGEST = "sigpublish_digest";
export const META_WATERMARK = "sigpublish_watermark";
export const META_CHAIN = "sigpublish_chain";
export const META_FORMAT = "sigpublish_format";

/** Zero detection granularity inside a 4 MiB page. */
export const ZERO_GRANULE = 64 * 1024;

export type UploadPhase = "verify" | "upload";

export interface UploadProgress {
  readonly phase: UploadPhase;
  /** Bytes of the logical fixed disk (the blob). */
  readonly bytesTotal: number;
  /** Bytes read and examined so far. */
  readonly bytesScanned: number;
  /** Bytes stored by Put Page (acknowledged). */
  readonly bytesSent: number;
  /** All-zero bytes not sent. */
  readonly bytesSkipped: number;
  /** Non-zero bytes not sent because a resumed blob already holds them (verified). */
  readonly bytesPresent: number;
  /** Scan rate since the start, bytes per second. */
  readonly bytesPerSecond: number;
  /** Seconds left at the current rate, undefined until there is a rate. */
  readonly etaSeconds: number | undefined;
  /** The last watermark committed to the blob's metadata (0 if none). */
  readonly checkpoint: number;
  readonly requests: number;
  readonly retries: number;
}

export interface UploadOptions {
  /** Put Page requests in flight. Default 8. */
  readonly concurrency?: number;
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Minimum interval between progress callbacks (a final one always comes). Default 1000 ms. */
  readonly progressIntervalMs?: number;
  readonly signal?: AbortSignal;
  /** What to do with a different blob at the path. Default "overwrite". */
  readonly onMismatch?: "overwrite" | "error";
  /** Commit the watermark to metadata whenever it advanced this much. Default 256 MiB. */
  readonly checkpointBytes?: number;
  readonly retry?: RetryOptions;
  /** Extra metadata stored with the blob (keys must be C# identifiers). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export type UploadOutcome = "uploaded" | "resumed" | "already-complete";

export interface UploadResult {
  readonly outcome: UploadOutcome;
  readonly digest: string;
  readonly facts: VhdFacts;
  readonly blobUrl: string;
  readonly bytesTotal: number;
  readonly bytesScanned: number;
  readonly bytesSent: number;
  readonly bytesSkipped: number;
  readonly bytesPresent: number;
  /** Watermark the upload resumed from (0 for a fresh upload). */
  readonly resumedFrom: number;
  /** Bytes read from the file across all passes (a verify pass or a restart reads it again). */
  readonly passes: number;
  readonly requests: number;
  readonly retries: number;
  readonly durationMs: number;
}

export class UploadError extends Error {
  readonly code: "BLOB_MISMATCH" | "NOT_FOUND_AFTER_UPLOAD";
  constructor(code: UploadError["code"], message: string) {
    super(message);
    this.name = "UploadError";
    this.code = code;
  }
}

interface Run {
  readonly start: number;
  readonly end: number;
}

/** Non-zero runs of `buf[0…len)` at ZERO_GRANULE granularity (ends are 512-aligned: len is). */
export function nonZeroRuns(buf: Buffer, len: number, options: { knownNonZero?: boolean } = {}): Run[] {
  const runs: Run[] = [];
  if (options.knownNonZero !== true && len === ZERO_PAGE.length && buf.equals(ZERO_PAGE)) return runs;
  let start = -1;
  for (let g = 0; g < len; g += ZERO_GRANULE) {
    const end = Math.min(g + ZERO_GRANULE, len);
    const zero = buf.subarray(g, end).equals(ZERO_PAGE.subarray(0, end - g));
    if (!zero && start < 0) start = g;
    if (zero && start >= 0) {
      runs.push({ start, end: g });
      start = -1;
    }
  }
  if (start >= 0) runs.push({ start, end: len });
  return runs;
}

class Semaphore {
  #free: number;
  readonly #waiters: Array<() => void> = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}

class BufferPool {
  readonly #free: Buffer[] = [];
  readonly #waiters: Array<(b: Buffer) => void> = [];
  constructor(count: number, size: number) {
    for (let i = 0; i < count; i++) this.#free.push(Buffer.allocUnsafe(size));
  }
  async acquire(): Promise<Buffer> {
    const b = this.#free.pop();
    if (b) return b;
    return await new Promise<Buffer>((resolve) => this.#waiters.push(resolve));
  }
  release(b: Buffer): void {
    const next = this.#waiters.shift();
    if (next) next(b);
    else this.#free.push(b);
  }
}

interface ResumePoint {
  readonly watermark: number;
  readonly chain: string;
  /** Page ranges the blob holds below the watermark. */
  readonly ranges: PageRange[];
}

class Restart extends Error {}

function covered(ranges: readonly PageRange[], start: number, end: number): boolean {
  // ranges are sorted and disjoint: binary search the last range starting at or before `start`.
  let lo = 0;
  let hi = ranges.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid] as PageRange;
    if (r.offset <= start) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  let pos = start;
  for (let i = found < 0 ? 0 : found; i < ranges.length && pos < end; i++) {
    const r = ranges[i] as PageRange;
    if (r.offset > pos) return false;
    pos = Math.max(pos, r.offset + r.length);
  }
  return pos >= end;
}

function sameSizeOurs(state: BlobState, size: number): boolean {
  return state.size === size && state.metadata[META_SIZE] === String(size);
}

export async function uploadDisk(
  disk: LogicalDisk,
  target: PageBlobTarget,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const started = Date.now();
  const signal = options.signal;
  const retryStats: RetryStats = { retries: 0 };
  const call = <T>(op: () => Promise<T>): Promise<T> => withRetry(op, options.retry, signal, retryStats);
  const size = disk.size;
  const baseMeta = { ...options.metadata, [META_SIZE]: String(size), [META_FORMAT]: disk.facts.format };
  let passes = 0;

  const mismatch = async (why: string): Promise<void> => {
    if (options.onMismatch === "error") {
      throw new UploadError(
        "BLOB_MISMATCH",
        `${target.displayUrl} already exists and ${why}; refusing to overwrite it (delete it, or allow overwriting)`,
      );
    }
  };

  const state = await call(() => target.getState(signal));
  let resume: ResumePoint | undefined;
  if (state) {
    const meta = state.metadata;
    const storedDigest = meta[META_DIGEST];
    if (sameSizeOurs(state, size) && meta[META_STATE] === "complete" && isDigest(storedDigest)) {
      passes++;
      const local = await digestDisk(disk, {
        ...(signal ? { signal } : {}),
        onPage: makeVerifyProgress(options, size, started, retryStats),
      });
      if (local.digest === storedDigest) {
        return {
          outcome: "already-complete",
          digest: local.digest,
          facts: disk.facts,
          blobUrl: target.displayUrl,
          bytesTotal: size,
          bytesScanned: size,
          bytesSent: 0,
          bytesSkipped: 0,
          bytesPresent: size,
          resumedFrom: size,
          passes,
          requests: 0,
          retries: retryStats.retries,
          durationMs: Date.now() - started,
        };
      }
      await mismatch(`holds another image (digest ${storedDigest}, this one is ${local.digest})`);
    } else if (sameSizeOurs(state, size) && meta[META_STATE] === "uploading") {
      const watermark = Number(meta[META_WATERMARK]);
      const chain = meta[META_CHAIN] ?? "";
      if (
        Number.isSafeInteger(watermark) &&
        watermark > 0 &&
        watermark % CHUNK_SIZE === 0 &&
        watermark < size &&
        /^[0-9a-f]{64}$/.test(chain)
      ) {
        const ranges = await call(() => target.listPageRanges(0, size, signal));
        // Requests that completed after the last checkpoint are not trusted: clear above the watermark.
        for (const r of ranges) {
          const from = Math.max(r.offset, watermark);
          const to = r.offset + r.length;
          if (from < to) await call(() => target.clearPages(from, to - from, signal));
        }
        resume = { watermark, chain, ranges: ranges.filter((r) => r.offset < watermark) };
      }
      // An interrupted upload without a checkpoint is just restarted (it was ours).
    } else {
      await mismatch(
        state.size !== size
          ? `is ${state.size} bytes, not the ${size} bytes of this image`
          : "was not written by sig-publish (no sigpublish_state metadata)",
      );
    }
  }

  const fresh = async (): Promise<void> => {
    const c0 = new DigestChain(size).chainHex;
    await call(() =>
      target.create(
        size,
        { ...baseMeta, [META_STATE]: "uploading", [META_WATERMARK]: "0", [META_CHAIN]: c0 },
        signal,
      ),
    );
  };

  if (!resume) await fresh();
  let pass: PassResult;
  try {
    passes++;
    pass = await uploadPass(disk, target, options, resume, call, baseMeta, started, retryStats);
  } catch (error) {
    if (!(error instanceof Restart)) throw error;
    await fresh();
    passes++;
    resume = undefined;
    pass = await uploadPass(disk, target, options, undefined, call, baseMeta, started, retryStats);
  }
  await call(() =>
    target.setMetadata({ ...baseMeta, [META_STATE]: "complete", [META_DIGEST]: pass.digest }, signal),
  );
  return {
    outcome: resume ? "resumed" : "uploaded",
    digest: pass.digest,
    facts: disk.facts,
    blobUrl: target.displayUrl,
    bytesTotal: size,
    bytesScanned: pass.scanned,
    bytesSent: pass.sent,
    bytesSkipped: pass.skipped,
    bytesPresent: pass.present,
    resumedFrom: resume?.watermark ?? 0,
    passes,
    requests: pass.requests,
    retries: retryStats.retries,
    durationMs: Date.now() - started,
  };
}

function makeVerifyProgress(
  options: UploadOptions,
  size: number,
  started: number,
  retryStats: RetryStats,
): ((scanned: number) => void) | undefined {
  const onProgress = options.onProgress;
  if (!onProgress) return undefined;
  const interval = options.progressIntervalMs ?? 1000;
  let last = 0;
  return (scanned) => {
    const now = Date.now();
    if (scanned < size && now - last < interval) return;
    last = now;
    const rate = scanned / Math.max(0.001, (now - started) / 1000);
    onProgress({
      phase: "verify",
      bytesTotal: size,
      bytesScanned: scanned,
      bytesSent: 0,
      bytesSkipped: 0,
      bytesPresent: 0,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? (size - scanned) / rate : undefined,
      checkpoint: 0,
      requests: 0,
      retries: retryStats.retries,
    });
  };
}

interface PassResult {
  digest: string;
  scanned: number;
  sent: number;
  skipped: number;
  present: number;
  requests: number;
}

async function uploadPass(
  disk: LogicalDisk,
  target: PageBlobTarget,
  options: UploadOptions,
  resume: ResumePoint | undefined,
  call: <T>(op: () => Promise<T>) => Promise<T>,
  baseMeta: Record<string, string>,
  started: number,
  retryStats: RetryStats,
): Promise<PassResult> {
  const signal = options.signal;
  const size = disk.size;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const readAhead = 2;
  const checkpointBytes = Math.max(CHUNK_SIZE, options.checkpointBytes ?? 256 * 1024 * 1024);
  const interval = options.progressIntervalMs ?? 1000;
  const pages = Math.ceil(size / CHUNK_SIZE);
  const pool = new BufferPool(concurrency + readAhead + 1, CHUNK_SIZE);
  const requestSlots = new Semaphore(concurrency);
  const chain = new DigestChain(size);
  const chainAt = new Map<number, string>([[0, chain.chainHex]]);
  const completed = new Set<number>();
  const inflight = new Set<Promise<void>>();
  const resumeWatermark = resume?.watermark ?? 0;

  let failure: unknown;
  let low = 0; // every page below `low` is stored
  let checkpoint = resumeWatermark;
  let checkpointWrite: Promise<void> = Promise.resolve();
  let checkpointBusy = false;
  let scanned = 0;
  let sent = 0;
  let skipped = 0;
  let present = 0;
  let requests = 0;
  let lastProgress = 0;

  const progress = (force: boolean): void => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgress < interval) return;
    lastProgress = now;
    const rate = scanned / Math.max(0.001, (now - started) / 1000);
    options.onProgress({
      phase: "upload",
      bytesTotal: size,
      bytesScanned: scanned,
      bytesSent: sent,
      bytesSkipped: skipped,
      bytesPresent: present,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? (size - scanned) / rate : undefined,
      checkpoint,
      requests,
      retries: retryStats.retries,
    });
  };

  const maybeCheckpoint = (): void => {
    const watermark = low * CHUNK_SIZE;
    if (
      checkpointBusy ||
      low >= pages ||
      watermark <= resumeWatermark ||
      watermark - checkpoint < checkpointBytes
    )
      return;
    const chainHex = chainAt.get(low);
    if (chainHex === undefined) return;
    checkpointBusy = true;
    checkpointWrite = call(() =>
      target.setMetadata(
        {
          ...baseMeta,
          [META_STATE]: "uploading",
          [META_WATERMARK]: String(watermark),
          [META_CHAIN]: chainHex,
        },
        signal,
      ),
    ).then(
      () => {
        checkpoint = watermark;
        checkpointBusy = false;
        progress(true);
        maybeCheckpoint();
      },
      (error: unknown) => {
        checkpointBusy = false;
        failure ??= error;
      },
    );
  };

  const pageDone = (i: number): void => {
    completed.add(i);
    while (completed.delete(low)) {
      chainAt.delete(low);
      low++;
    }
    maybeCheckpoint();
  };

  const read = async (i: number): Promise<{ i: number; buf: Buffer; len: number; kind: "data" | "zero" }> => {
    const buf = await pool.acquire();
    const offset = i * CHUNK_SIZE;
    const len = Math.min(CHUNK_SIZE, size - offset);
    try {
      return { i, buf, len, kind: await disk.read(offset, len, buf) };
    } catch (error) {
      pool.release(buf);
      throw error;
    }
  };

  const ahead: Array<Promise<Awaited<ReturnType<typeof read>>>> = [];
  let nextRead = 0;
  const fill = (): void => {
    while (ahead.length < readAhead && nextRead < pages) {
      const p = read(nextRead++);
      p.catch(() => undefined); // observed when awaited
      ahead.push(p);
    }
  };

  try {
    fill();
    while (ahead.length > 0) {
      if (failure !== undefined) break;
      signal?.throwIfAborted();
      const { i, buf, len, kind } = await (ahead.shift() as Promise<Awaited<ReturnType<typeof read>>>);
      fill();
      const offset = i * CHUNK_SIZE;
      let runs: Run[] = [];
      // One comparison with the zero page decides both the digest step and what to send (the hot
      // path: a 128 GiB sparse image is 32768 mostly-zero pages).
      if (len === CHUNK_SIZE && (kind === "zero" || buf.equals(ZERO_PAGE))) {
        chain.addZeroPage();
      } else {
        if (kind === "zero") buf.fill(0, 0, len);
        const page = buf.subarray(0, len);
        chain.addPageHash(hash("sha256", page, "buffer"));
        runs = nonZeroRuns(buf, len, { knownNonZero: len === CHUNK_SIZE });
      }
      chainAt.set(i + 1, chain.chainHex);
      scanned += len;
      if (resume && offset + len === resume.watermark && chain.chainHex !== resume.chain) {
        pool.release(buf);
        throw new Restart("the local image is not the one whose upload was interrupted");
      }
      let toSend = runs;
      if (resume && offset + len <= resume.watermark) {
        toSend = runs.filter((r) => !covered(resume.ranges, offset + r.start, offset + r.end));
        for (const r of runs) if (!toSend.includes(r)) present += r.end - r.start;
      }
      const nonZero = runs.reduce((s, r) => s + (r.end - r.start), 0);
      skipped += len - nonZero;
      if (toSend.length === 0) {
        pool.release(buf);
        pageDone(i);
        progress(false);
        continue;
      }
      let remaining = toSend.length;
      const finishOne = (): void => {
        if (--remaining > 0) return;
        pool.release(buf);
        if (failure === undefined) pageDone(i);
        progress(false);
      };
      for (let k = 0; k < toSend.length; k++) {
        const run = toSend[k] as Run;
        await requestSlots.acquire();
        if (failure !== undefined || signal?.aborted === true) {
          requestSlots.release();
          for (let rest = k; rest < toSend.length; rest++) finishOne();
          break;
        }
        const data = buf.subarray(run.start, run.end);
        const md5 = hash("md5", data, "buffer");
        requests++;
        const p: Promise<void> = call(() => target.putPages(offset + run.start, data, md5, signal))
          .then(
            () => {
              sent += data.length;
            },
            (error: unknown) => {
              failure ??= error;
            },
          )
          .finally(() => {
            requestSlots.release();
            inflight.delete(p);
            finishOne();
          });
        inflight.add(p);
      }
      progress(false);
    }
  } finally {
    // Let in-flight requests settle (they hold pool buffers) before returning or throwing.
    await Promise.allSettled([...inflight]);
    await Promise.allSettled(ahead);
    await checkpointWrite;
  }
  signal?.throwIfAborted();
  if (failure !== undefined) throw failure;
  progress(true);
  return { digest: chain.digest, scanned, sent, skipped, present, requests };
}
