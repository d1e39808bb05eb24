/**
 * The VHD footer (Microsoft "Virtual Hard Disk Image Format Specification", v1.0): 512 bytes,
 * big-endian, at the end of every VHD (and copied at offset 0 of dynamic and differencing ones).
 *
 *   0 cookie "conectix" (8)   8 features (4)         12 format version (4)   16 data offset (8)
 *  24 timestamp (4)          28 creator app (4)     32 creator version (4)  36 creator host OS (4)
 *  40 original size (8)      48 current size (8)    56 geometry C(2) H(1) S(1)
 *  60 disk type (4)          64 checksum (4)        68 unique id (16)       84 saved state (1)
 *
 * The checksum is the one's complement of the byte sum of the footer with the checksum field
 * taken as zero.
 */
export const SECTOR = 512;
export const FOOTER_SIZE = 512;
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const TIB = 1024 * GIB;
export const FOOTER_COOKIE = "conectix";
export const NO_DATA_OFFSET = 0xffff_ffff_ffff_ffffn;

export const DISK_TYPE_FIXED = 2;
export const DISK_TYPE_DYNAMIC = 3;
export const DISK_TYPE_DIFFERENCING = 4;

export interface Geometry {
  readonly cylinders: number;
  readonly heads: number;
  readonly sectorsPerTrack: number;
}

export interface VhdFooter {
  readonly cookie: string;
  readonly features: number;
  readonly formatVersion: number;
  /** Absolute offset of the dynamic header; 0xFFFF…FFFF ("none") on fixed disks. */
  readonly dataOffset: bigint;
  readonly timestamp: number;
  readonly creatorApp: string;
  readonly creatorVersion: number;
  readonly creatorHostOs: number;
  readonly originalSize: bigint;
  readonly currentSize: bigint;
  readonly geometry: Geometry;
  readonly diskType: number;
  readonly checksum: number;
  /** The checksum computed over the bytes; equal to `checksum` on a valid footer. */
  readonly computedChecksum: number;
  readonly uniqueId: Buffer;
  readonly savedState: number;
}

export function footerChecksum(footer: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < FOOTER_SIZE; i++) {
    if (i >= 64 && i < 68) continue;
    sum += footer[i] ?? 0;
  }
  return ~sum >>> 0;
}

export function hasFooterCookie(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString("latin1") === FOOTER_COOKIE
  );
}

/** Decodes a footer without judging it (see `validate…` in inspect.ts for the rules). */
export function parseFooter(bytes: Uint8Array): VhdFooter {
  if (bytes.length < FOOTER_SIZE)
    throw new RangeError(`a VHD footer is ${FOOTER_SIZE} bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, FOOTER_SIZE);
  return {
    cookie: b.toString("latin1", 0, 8),
    features: b.readUInt32BE(8),
    formatVersion: b.readUInt32BE(12),
    dataOffset: b.readBigUInt64BE(16),
    timestamp: b.readUInt32BE(24),
    creatorApp: b.toString("latin1", 28, 32),
    creatorVersion: b.readUInt32BE(32),
    creatorHostOs: b.readUInt32BE(36),
    originalSize: b.readBigUInt64BE(40),
    currentSize: b.readBigUInt64BE(48),
    geometry: { cylinders: b.readUInt16BE(56), heads: b.readUInt8(58), sectorsPerTrack: b.readUInt8(59) },
    diskType: b.readUInt32BE(60),
    checksum: b.readUInt32BE(64),
    computedChecksum: footerChecksum(b),
    uniqueId: Buffer.from(b.subarray(68, 84)),
    savedState: b.readUInt8(84),
  };
}

/**
 * CHS geometry for a disk of `totalSectors` 512-byte sectors, per the algorithm in the VHD
 * specification (appendix "CHS calculation"). Sizes past 65535·16·255 sectors saturate.
 */
export function chsGeometry(totalSectorsIn: number): Geometry {
  let totalSectors = totalSectorsIn;
  if (totalSectors > 65535 * 16 * 255) totalSectors = 65535 * 16 * 255;
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (totalSectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    heads = Math.floor((cylinderTimesHeads + 1023) / 1024);
    if (heads < 4) heads = 4;
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack };
}

export interface FixedFooterFields {
  readonly currentSize: number;
  readonly originalSize?: number;
  readonly geometry?: Geometry;
  /** Seconds since 2000-01-01T00:00:00Z. Default 0 so a generated footer is deterministic. */
  readonly timestamp?: number;
  readonly creatorApp?: string;
  readonly creatorVersion?: number;
  readonly creatorHostOs?: number;
  readonly uniqueId?: Uint8Array;
}

/** "Wi2k": the creator host OS Azure's own tools write. */
export const HOST_OS_WINDOWS = 0x5769326b;

/** Builds a valid fixed-disk footer (disk type 2, no data offset). */
export function buildFixedFooter(fields: FixedFooterFields): Buffer {
  const b = Buffer.alloc(FOOTER_SIZE);
  const geometry = fields.geometry ?? chsGeometry(Math.floor(fields.currentSize / SECTOR));
  b.write(FOOTER_COOKIE, 0, "latin1");
  b.writeUInt32BE(2, 8); // features: "reserved" bit, always set
  b.writeUInt32BE(0x0001_0000, 12);
  b.writeBigUInt64BE(NO_DATA_OFFSET, 16);
  b.writeUInt32BE(fields.timestamp ?? 0, 24);
  b.write((fields.creatorApp ?? "sigp").padEnd(4, " ").slice(0, 4), 28, "latin1");
  b.writeUInt32BE(fields.creatorVersion ?? 0x0001_0000, 32);
  b.writeUInt32BE(fields.creatorHostOs ?? HOST_OS_WINDOWS, 36);
  b.writeBigUInt64BE(BigInt(fields.originalSize ?? fields.currentSize), 40);
  b.writeBigUInt64BE(BigInt(fields.currentSize), 48);
  b.writeUInt16BE(geometry.cylinders, 56);
  b.writeUInt8(geometry.heads, 58);
  b.writeUInt8(geometry.sectorsPerTrack, 59);
  b.writeUInt32BE(DISK_TYPE_FIXED, 60);
  if (fields.uniqueId) Buffer.from(fields.uniqueId).copy(b, 68, 0, 16);
  b.writeUInt32BE(footerChecksum(b), 64);
  return b;
}

/**
 * The footer of the fixed disk a dynamic VHD stands for: its own footer with the disk type set to
 * fixed and the data offset cleared (everything else, including the unique id, is kept, so the
 * result is deterministic).
 */
export function fixedFooterFrom(dynamicFooter: Uint8Array): Buffer {
  const b = Buffer.from(dynamicFooter.subarray(0, FOOTER_SIZE));
  b.writeBigUInt64BE(NO_DATA_OFFSET, 16);
  b.writeUInt32BE(DISK_TYPE_FIXED, 60);
  b.writeUInt32BE(footerChecksum(b), 64);
  return b;
}
