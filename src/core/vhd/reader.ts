/**
 * Reads the logical fixed disk of an image (data, then the fixed footer) at any 512-aligned
 * range, without a temporary copy: fixed VHDs are read as they are, raw images get the generated
 * footer, dynamic VHDs are read through the BAT and each block's sector bitmap.
 */
import type { FileHandle } from "node:fs/promises";
import { BAT_UNUSED } from "./dynamic.ts";
import { MIB, SECTOR } from "./footer.ts";
import { analyseImage, openImage, type ImageLayout, type InspectOptions, type VhdFacts } from "./inspect.ts";
import { DIGEST_PAGE_SIZE, DigestChain, pageHash } from "./digest.ts";

/** The reader's natural unit, and the largest Put Page. */
export const CHUNK_SIZE = 4 * MIB;

/**
 * "zero": the whole range is known to hold zeros without reading (a dynamic VHD's unallocated
 * blocks); the buffer was NOT written. "data": the buffer holds the bytes (which may still be zero).
 */
export type ReadKind = "data" | "zero";

export interface LogicalDisk {
  readonly facts: VhdFacts;
  /** Bytes of the logical fixed disk (= facts.blobSize). */
  readonly size: number;
  /** Reads [offset, offset + length) into `into[0…length)`. Offset and length are multiples of 512. */
  read(offset: number, length: number, into: Buffer): Promise<ReadKind>;
  close(): Promise<void>;
}

export async function openLogicalDisk(path: string, options: InspectOptions = {}): Promise<LogicalDisk> {
  const fh = await openImage(path);
  try {
    const layout = await analyseImage(fh, path, options);
    return new ImageReader(fh, layout);
  } catch (error) {
    await fh.close();
    throw error;
  }
}

const ONES = Buffer.alloc(64 * 1024, 0xff);

class ImageReader implements LogicalDisk {
  readonly facts: VhdFacts;
  readonly size: number;
  readonly #fh: FileHandle;
  readonly #layout: ImageLayout;
  readonly #virtual: number;

  constructor(fh: FileHandle, layout: ImageLayout) {
    this.#fh = fh;
    this.#layout = layout;
    this.facts = layout.facts;
    this.size = layout.facts.blobSize;
    this.#virtual = layout.facts.virtualSize;
  }

  async read(offset: number, length: number, into: Buffer): Promise<ReadKind> {
    if (offset % SECTOR !== 0 || length % SECTOR !== 0 || offset < 0 || offset + length > this.size) {
      throw new RangeError(
        `read of [${offset}, +${length}) is not 512-aligned inside a ${this.size}-byte disk`,
      );
    }
    if (into.length < length)
      throw new RangeError(`buffer of ${into.length} bytes for a ${length}-byte read`);
    const end = offset + length;
    const dataEnd = Math.min(end, this.#virtual);
    let kind: ReadKind = "zero";
    if (offset < dataEnd) {
      if (this.facts.format === "dynamic") {
        kind = await this.#readDynamic(offset, dataEnd - offset, into);
      } else {
        await this.#readFile(offset, dataEnd - offset, into, 0);
        kind = "data";
      }
    }
    if (end > this.#virtual) {
      // The footer region: [virtual, virtual + 512).
      const from = Math.max(offset, this.#virtual);
      this.facts.fixedFooter.copy(into, from - offset, from - this.#virtual, end - this.#virtual);
      if (kind === "zero" && from > offset) into.fill(0, 0, from - offset);
      kind = "data";
    }
    return kind;
  }

  async #readFile(position: number, length: number, into: Buffer, at: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#fh.read(into, at + done, length - done, position + done);
      if (bytesRead === 0) {
        throw new Error(
          `${this.facts.path}: unexpected end of file at ${position + done} (the file shrank while being read?)`,
        );
      }
      done += bytesRead;
    }
  }

  async #readDynamic(offset: number, length: number, into: Buffer): Promise<ReadKind> {
    const bat = this.#layout.bat;
    const bitmapSize = this.#layout.bitmapSize;
    const blockSize = this.facts.dynamic?.blockSize;
    if (!bat || bitmapSize === undefined || blockSize === undefined)
      throw new Error("dynamic layout missing");
    let anyData = false;
    // First pass: is the whole range in unallocated blocks? Then the caller need not look at it.
    for (let pos = offset; pos < offset + length; pos = (Math.floor(pos / blockSize) + 1) * blockSize) {
      if (bat[Math.floor(pos / blockSize)] !== BAT_UNUSED) {
        anyData = true;
        break;
      }
    }
    if (!anyData) return "zero";
    const reads: Array<Promise<void>> = [];
    let pos = offset;
    while (pos < offset + length) {
      const block = Math.floor(pos / blockSize);
      const within = pos - block * blockSize;
      const n = Math.min(blockSize - within, offset + length - pos);
      const at = pos - offset;
      const entry = bat[block] ?? BAT_UNUSED;
      if (entry === BAT_UNUSED) {
        into.fill(0, at, at + n);
      } else {
        reads.push(this.#readBlock(entry * SECTOR, bitmapSize, within, n, into, at));
      }
      pos += n;
    }
    await Promise.all(reads);
    return "data";
  }

  async #readBlock(
    blockStart: number,
    bitmapSize: number,
    within: number,
    n: number,
    into: Buffer,
    at: number,
  ): Promise<void> {
    const bitmap = Buffer.allocUnsafe(bitmapSize);
    await Promise.all([
      this.#readFile(blockStart, bitmapSize, bitmap, 0),
      this.#readFile(blockStart + bitmapSize + within, n, into, at),
    ]);
    // Sectors whose bitmap bit is clear hold no data: they read as zeros (spec, "Block Bitmap").
    const firstSector = within / SECTOR;
    const sectors = n / SECTOR;
    const bytesNeeded = Math.ceil((firstSector + sectors) / 8);
    if (bytesNeeded <= ONES.length && bitmap.subarray(0, bytesNeeded).equals(ONES.subarray(0, bytesNeeded)))
      return;
    for (let s = 0; s < sectors; s++) {
      const bit = firstSector + s;
      const byte = bitmap[bit >> 3] ?? 0;
      if ((byte & (0x80 >> (bit & 7))) === 0) into.fill(0, at + s * SECTOR, at + (s + 1) * SECTOR);
    }
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}

export interface DigestResult {
  readonly digest: string;
  readonly facts: VhdFacts;
  /** Bytes read from the file (dynamic holes are not read). */
  readonly bytesRead: number;
}

/**
 * Hash-only pass over the logical fixed disk (what an upload computes on the way). Cost: one
 * sequential read of the file (holes of dynamic VHDs are not read) and SHA-256 of the non-zero
 * 4 MiB pages; all-zero pages are recognised with Buffer.equals and use a constant.
 */
export async function digestVhd(
  path: string,
  options: InspectOptions & { signal?: AbortSignal; onPage?: (scanned: number, total: number) => void } = {},
): Promise<DigestResult> {
  const disk = await openLogicalDisk(path, options);
  try {
    return await digestDisk(disk, options);
  } finally {
    await disk.close();
  }
}

export async function digestDisk(
  disk: LogicalDisk,
  options: { signal?: AbortSignal; onPage?: (scanned: number, total: number) => void } = {},
): Promise<DigestResult> {
  const chain = new DigestChain(disk.size);
  const buffers = [Buffer.allocUnsafe(DIGEST_PAGE_SIZE), Buffer.allocUnsafe(DIGEST_PAGE_SIZE)] as const;
  let bytesRead = 0;
  const readPage = async (i: number): Promise<{ kind: ReadKind; len: number; buf: Buffer }> => {
    const offset = i * DIGEST_PAGE_SIZE;
    const len = Math.min(DIGEST_PAGE_SIZE, disk.size - offset);
    const buf = buffers[i % 2] as Buffer;
    const kind = await disk.read(offset, len, buf);
    return { kind, len, buf };
  };
  const pages = chain.totalPages;
  let next = pages > 0 ? readPage(0) : undefined;
  for (let i = 0; i < pages; i++) {
    options.signal?.throwIfAborted();
    const { kind, len, buf } = await (next as Promise<{ kind: ReadKind; len: number; buf: Buffer }>);
    // Read ahead into the other buffer while this one is hashed.
    next = i + 1 < pages ? readPage(i + 1) : undefined;
    if (kind === "zero" && len === DIGEST_PAGE_SIZE) {
      chain.addZeroPage();
    } else {
      if (kind === "zero") buf.fill(0, 0, len);
      else bytesRead += len;
      chain.addPageHash(pageHash(buf.subarray(0, len)));
    }
    options.onPage?.(
      (i + 1) * DIGEST_PAGE_SIZE > disk.size ? disk.size : (i + 1) * DIGEST_PAGE_SIZE,
      disk.size,
    );
  }
  return { digest: chain.digest, facts: disk.facts, bytesRead };
}
