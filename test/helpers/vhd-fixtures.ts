/**
 * Small, sparse disk images for tests: raw, fixed VHD, dynamic VHD (and, by disk type, differencing),
 * written with an implementation independent of src/core/vhd so the tests cross-check the reader.
 * Files are sparse: only `dataAt` ranges and metadata are written.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";

export const MIB = 1024 * 1024;

export interface DataAt {
  /** Offset in the virtual disk. */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface ImageSpec {
  readonly virtualSize: number;
  readonly dataAt?: readonly DataAt[];
}

/** Deterministic pseudo-random bytes (never all zero). */
export function patternBytes(length: number, seed = 1): Buffer {
  const b = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = (x & 0xff) | 1;
  }
  return b;
}

/** The virtual disk's bytes as a Buffer (for small disks only). */
export function virtualBytes(spec: ImageSpec): Buffer {
  const b = Buffer.alloc(spec.virtualSize);
  for (const d of spec.dataAt ?? []) Buffer.from(d.bytes).copy(b, d.offset);
  return b;
}

function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

export function writeRawImage(path: string, spec: ImageSpec): void {
  const fd = openSync(path, "w");
  try {
    ftruncateSync(fd, spec.virtualSize);
    for (const d of spec.dataAt ?? []) writeAt(fd, d.bytes, d.offset);
  } finally {
    closeSync(fd);
  }
}

export function vhdChecksum(bytes: Uint8Array, skipFrom: number): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) if (i < skipFrom || i >= skipFrom + 4) sum += bytes[i] ?? 0;
  return ~sum >>> 0;
}

/** CHS per the VHD spec appendix. */
export function specGeometry(totalSectorsIn: number): [number, number, number] {
  const t = Math.min(totalSectorsIn, 65535 * 16 * 255);
  let spt: number;
  let heads: number;
  let cth: number;
  if (t >= 65535 * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = Math.floor(t / spt);
  } else {
    spt = 17;
    cth = Math.floor(t / spt);
    heads = Math.max(4, Math.floor((cth + 1023) / 1024));
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = Math.floor(t / spt);
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = Math.floor(t / spt);
    }
  }
  return [Math.floor(cth / heads), heads, spt];
}

export interface FooterSpec {
  readonly currentSize: number;
  readonly diskType?: number;
  readonly dataOffset?: bigint;
  readonly uniqueId?: Uint8Array;
  /** Let a test damage the footer after the checksum was computed (or before: set `rechecksum`). */
  readonly mutate?: (footer: Buffer) => void;
  readonly rechecksum?: boolean;
}

export function makeFooter(spec: FooterSpec): Buffer {
  const f = Buffer.alloc(512);
  f.write("conectix", 0, "latin1");
  f.writeUInt32BE(2, 8);
  f.writeUInt32BE(0x10000, 12);
  f.writeBigUInt64BE(spec.dataOffset ?? 0xffffffffffffffffn, 16);
  f.writeUInt32BE(12345, 24);
  f.write("test", 28, "latin1");
  f.writeUInt32BE(0x10000, 32);
  f.writeUInt32BE(0x5769326b, 36);
  f.writeBigUInt64BE(BigInt(spec.currentSize), 40);
  f.writeBigUInt64BE(BigInt(spec.currentSize), 48);
  const [c, h, s] = specGeometry(Math.floor(spec.currentSize / 512));
  f.writeUInt16BE(c, 56);
  f.writeUInt8(h, 58);
  f.writeUInt8(s, 59);
  f.writeUInt32BE(spec.diskType ?? 2, 60);
  Buffer.from(spec.uniqueId ?? patternBytes(16, 99)).copy(f, 68, 0, 16);
  if (spec.mutate && spec.rechecksum === true) spec.mutate(f);
  f.writeUInt32BE(vhdChecksum(f, 64), 64);
  if (spec.mutate && spec.rechecksum !== true) spec.mutate(f);
  return f;
}

export interface FixedVhdSpec extends ImageSpec {
  readonly footer?: Omit<FooterSpec, "currentSize"> & { currentSize?: number };
}

/** A fixed VHD: the raw data followed by a 512-byte footer. */
export function writeFixedVhd(path: string, spec: FixedVhdSpec): Buffer {
  writeRawImage(path, spec);
  const footer = makeFooter({ currentSize: spec.virtualSize, ...spec.footer });
  const fd = openSync(path, "r+");
  try {
    writeAt(fd, footer, spec.virtualSize);
  } finally {
    closeSync(fd);
  }
  return footer;
}

export interface DynamicVhdSpec extends ImageSpec {
  /** Default 2 MiB. */
  readonly blockSize?: number;
  /** Default 3 (dynamic); 4 makes a differencing disk. */
  readonly diskType?: number;
  /**
   * Sector-bitmap override per block index: the sectors whose bit is clear read as zeros even if
   * bytes are stored for them. Default: every sector of an allocated block is marked present.
   */
  readonly bitmap?: (block: number, bitmap: Buffer) => void;
  /** Damage hooks for refusal tests. */
  readonly mutateHeader?: (header: Buffer) => void;
  readonly mutateFooter?: (footer: Buffer) => void;
  /** Omit the trailing footer (truncation). */
  readonly dropTrailingFooter?: boolean;
  /** Add entries beyond what the disk needs. */
  readonly extraBatEntries?: number;
}

/**
 * A dynamic VHD: footer copy, dynamic header (at 512), BAT (at 1536), then the allocated blocks
 * (sector bitmap + data) for every block `dataAt` touches, then the footer.
 * Returns the footer it wrote.
 */
export function writeDynamicVhd(path: string, spec: DynamicVhdSpec): Buffer {
  const blockSize = spec.blockSize ?? 2 * MIB;
  const blocks = Math.ceil(spec.virtualSize / blockSize);
  const entries = blocks + (spec.extraBatEntries ?? 0);
  const batOffset = 1536;
  const batBytes = Math.ceil((entries * 4) / 512) * 512;
  const bitmapBytes = Math.ceil(blockSize / 512 / 8 / 512) * 512;
  const used = new Set<number>();
  for (const d of spec.dataAt ?? []) {
    for (let b = Math.floor(d.offset / blockSize); b * blockSize < d.offset + d.bytes.length; b++)
      used.add(b);
  }
  const bat = Buffer.alloc(batBytes, 0xff);
  let next = batOffset + batBytes;
  const fd = openSync(path, "w");
  try {
    for (const b of [...used].sort((x, y) => x - y)) {
      bat.writeUInt32BE(next / 512, b * 4);
      const bitmap = Buffer.alloc(bitmapBytes, 0);
      bitmap.fill(0xff, 0, Math.ceil(blockSize / 512 / 8));
      spec.bitmap?.(b, bitmap);
      writeAt(fd, bitmap, next);
      const start = b * blockSize;
      const block = Buffer.alloc(blockSize);
      for (const d of spec.dataAt ?? []) {
        const from = Math.max(start, d.offset);
        const to = Math.min(start + blockSize, d.offset + d.bytes.length, spec.virtualSize);
        if (from < to) Buffer.from(d.bytes).copy(block, from - start, from - d.offset, to - d.offset);
      }
      writeAt(fd, block, next + bitmapBytes);
      next += bitmapBytes + blockSize;
    }
    const header = Buffer.alloc(1024);
    header.write("cxsparse", 0, "latin1");
    header.writeBigUInt64BE(0xffffffffffffffffn, 8);
    header.writeBigUInt64BE(BigInt(batOffset), 16);
    header.writeUInt32BE(0x10000, 24);
    header.writeUInt32BE(entries, 28);
    header.writeUInt32BE(blockSize, 32);
    header.writeUInt32BE(vhdChecksum(header, 36), 36);
    spec.mutateHeader?.(header);
    const footer = makeFooter({
      currentSize: spec.virtualSize,
      diskType: spec.diskType ?? 3,
      dataOffset: 512n,
      ...(spec.mutateFooter ? { mutate: spec.mutateFooter } : {}),
    });
    writeAt(fd, footer, 0);
    writeAt(fd, header, 512);
    writeAt(fd, bat, batOffset);
    if (spec.dropTrailingFooter === true) ftruncateSync(fd, next);
    else writeAt(fd, footer, next);
    return footer;
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole small file. */
export function readAll(path: string): Buffer {
  return readFileSync(path);
}
