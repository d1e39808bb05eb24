/**
 * The dynamic-disk header (VHD specification, "Dynamic Disk Header Format"): 1024 bytes,
 * big-endian, at the footer's data offset.
 *
 *   0 cookie "cxsparse" (8)   8 data offset (8, unused)   16 table offset (8): the BAT
 *  24 header version (4)     28 max table entries (4)     32 block size (4)   36 checksum (4)
 *  40 parent unique id (16)  56 parent timestamp (4) ...  576 parent locators (8 × 24)
 *
 * The Block Allocation Table holds one big-endian uint32 per block: the sector (512-byte unit)
 * where the block starts, or 0xFFFFFFFF when the block is not allocated (reads as zeros). An
 * allocated block starts with its sector bitmap (one bit per sector, most significant bit first,
 * padded to a whole sector), followed by the block's data.
 */
import { SECTOR } from "./footer.ts";

export const DYNAMIC_HEADER_SIZE = 1024;
export const DYNAMIC_COOKIE = "cxsparse";
export const BAT_UNUSED = 0xffff_ffff;

export interface DynamicHeader {
  readonly cookie: string;
  readonly tableOffset: bigint;
  readonly headerVersion: number;
  readonly maxTableEntries: number;
  readonly blockSize: number;
  readonly checksum: number;
  readonly computedChecksum: number;
}

export function dynamicHeaderChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < DYNAMIC_HEADER_SIZE; i++) {
    if (i >= 36 && i < 40) continue;
    sum += header[i] ?? 0;
  }
  return ~sum >>> 0;
}

export function parseDynamicHeader(bytes: Uint8Array): DynamicHeader {
  if (bytes.length < DYNAMIC_HEADER_SIZE) {
    throw new RangeError(`a dynamic header is ${DYNAMIC_HEADER_SIZE} bytes, got ${bytes.length}`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, DYNAMIC_HEADER_SIZE);
  return {
    cookie: b.toString("latin1", 0, 8),
    tableOffset: b.readBigUInt64BE(16),
    headerVersion: b.readUInt32BE(24),
    maxTableEntries: b.readUInt32BE(28),
    blockSize: b.readUInt32BE(32),
    checksum: b.readUInt32BE(36),
    computedChecksum: dynamicHeaderChecksum(b),
  };
}

/** Bytes of the sector bitmap in front of each block: one bit per sector, padded to a sector. */
export function bitmapBytes(blockSize: number): number {
  const bits = blockSize / SECTOR;
  return Math.ceil(bits / 8 / SECTOR) * SECTOR;
}
