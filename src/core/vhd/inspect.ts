/**
 * Recognises a disk image (fixed VHD, dynamic VHD, or raw) and applies Azure's rules, reading
 * only the footer, the dynamic header and the BAT (or, for raw images, the first and last MiB).
 * Every refusal is a VhdError naming the problem and the fix.
 */
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import {
  BAT_UNUSED,
  DYNAMIC_HEADER_SIZE,
  DYNAMIC_COOKIE,
  bitmapBytes,
  parseDynamicHeader,
} from "./dynamic.ts";
import { VhdError, shellQuote } from "./errors.ts";
import {
  DISK_TYPE_DIFFERENCING,
  DISK_TYPE_DYNAMIC,
  DISK_TYPE_FIXED,
  FOOTER_SIZE,
  MIB,
  NO_DATA_OFFSET,
  SECTOR,
  TIB,
  buildFixedFooter,
  fixedFooterFrom,
  hasFooterCookie,
  parseFooter,
  type Geometry,
} from "./footer.ts";
import { formatExactBytes } from "../format.ts";

export type VhdFormat = "fixed" | "dynamic" | "raw";

/** Azure accepts no smaller VHD. */
export const MIN_VIRTUAL_SIZE = 20 * MIB;
/** A page blob holds at most 8 TiB, and the blob is the virtual size plus the 512-byte footer. */
export const PAGE_BLOB_MAX = 8 * TIB;
export const MAX_VIRTUAL_SIZE_PAGE_BLOB = PAGE_BLOB_MAX - MIB;
/** Managed disks can be imported up to 32 TiB (the limit when the blob is not the constraint). */
export const MAX_VIRTUAL_SIZE_MANAGED_DISK = 32 * TIB;

export interface VhdLimit {
  readonly maxVirtualSize: number;
  /** Which rule sets the limit, quoted in the refusal. */
  readonly reason: string;
}

export const PAGE_BLOB_LIMIT: VhdLimit = {
  maxVirtualSize: MAX_VIRTUAL_SIZE_PAGE_BLOB,
  reason:
    "sig-publish uploads the disk as a page blob, and a page blob holds at most 8 TiB including the 512-byte footer (managed disks go up to 32 TiB, but they are imported from that blob)",
};

export interface InspectOptions {
  /** Default: the page blob limit (8 TiB − 1 MiB of virtual size). */
  readonly limit?: VhdLimit;
  /** Accept raw images (no footer, size a multiple of 1 MiB). Default true. */
  readonly allowRaw?: boolean;
}

export interface DynamicFacts {
  readonly blockSize: number;
  readonly blockCount: number;
  readonly allocatedBlocks: number;
  readonly batOffset: number;
}

export interface VhdFacts {
  readonly path: string;
  readonly format: VhdFormat;
  /** The disk's size as the VM sees it (footer "current size"; the raw file's size). */
  readonly virtualSize: number;
  /** Size of the page blob: the logical fixed VHD, virtual size + 512-byte footer. */
  readonly blobSize: number;
  /** Size of the file on the local disk. */
  readonly fileSize: number;
  /**
   * Upper bound of the bytes holding data: allocated blocks × block size for dynamic VHDs,
   * the file's allocated size on disk (st_blocks) for sparse fixed/raw files.
   */
  readonly allocatedBytes: number;
  readonly geometry: Geometry;
  /** The footer that ends the logical fixed disk (the file's own, converted, or generated). */
  readonly fixedFooter: Buffer;
  readonly dynamic?: DynamicFacts;
}

/** What the reader needs besides the facts. */
export interface ImageLayout {
  readonly facts: VhdFacts;
  /** Dynamic VHDs: the BAT (sector offsets, BAT_UNUSED for holes) and the bitmap size. */
  readonly bat?: Uint32Array;
  readonly bitmapSize?: number;
}

export async function inspectVhd(path: string, options: InspectOptions = {}): Promise<VhdFacts> {
  const fh = await openImage(path);
  try {
    return (await analyseImage(fh, path, options)).facts;
  } finally {
    await fh.close();
  }
}

export async function openImage(path: string): Promise<FileHandle> {
  try {
    const fh = await open(path, "r");
    const st = await fh.stat();
    if (!st.isFile() && !st.isBlockDevice()) {
      await fh.close();
      throw new VhdError("NOT_A_FILE", path, "is not a regular file", "point --vhd at the image file itself");
    }
    return fh;
  } catch (error) {
    if (error instanceof VhdError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new VhdError(
        "NOT_FOUND",
        path,
        "does not exist",
        "check the path (relative paths start at the working directory)",
      );
    }
    if (code === "EISDIR") {
      throw new VhdError("NOT_A_FILE", path, "is a directory", "point --vhd at the image file itself");
    }
    throw error;
  }
}

async function readAt(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

const roundUpMiB = (n: number): number => Math.ceil(n / MIB) * MIB;

function toVhdCommand(path: string, rounded: number): string {
  const q = shellQuote(path);
  return (
    `qemu-img convert -f vpc -O raw ${q} disk.raw && qemu-img resize -f raw disk.raw ${rounded} && ` +
    `qemu-img convert -f raw -O vpc -o subformat=fixed,force_size disk.raw fixed.vhd`
  );
}

export async function analyseImage(
  fh: FileHandle,
  path: string,
  options: InspectOptions = {},
): Promise<ImageLayout> {
  const limit = options.limit ?? PAGE_BLOB_LIMIT;
  const allowRaw = options.allowRaw ?? true;
  const st = await fh.stat();
  const fileSize = st.size;
  const q = shellQuote(path);
  if (fileSize < FOOTER_SIZE) {
    throw new VhdError(
      "TRUNCATED",
      path,
      `is ${fileSize} bytes, too short to be a disk image (a VHD ends with a 512-byte footer)`,
      "copy or download the image again; the file is incomplete",
    );
  }
  const tail = await readAt(fh, FOOTER_SIZE, fileSize - FOOTER_SIZE);
  if (!hasFooterCookie(tail)) {
    return await analyseRaw(fh, path, fileSize, st.blocks * 512, limit, allowRaw);
  }
  const footer = parseFooter(tail);
  if (footer.checksum !== footer.computedChecksum) {
    throw new VhdError(
      "BAD_CHECKSUM",
      path,
      `the VHD footer's checksum is 0x${footer.checksum.toString(16)} but its bytes sum to 0x${footer.computedChecksum.toString(16)}: the footer is damaged`,
      footer.diskType === DISK_TYPE_FIXED
        ? `if the data is intact, drop the footer and let sig-publish treat the rest as a raw image: truncate -s ${fileSize - FOOTER_SIZE} ${q} (or rebuild it: qemu-img convert -f raw -O vpc -o subformat=fixed,force_size ${q} fixed.vhd after truncating); otherwise export the image again`
        : `rewrite the image with a fresh footer: qemu-img convert -f vpc -O vpc -o subformat=fixed,force_size ${q} fixed.vhd`,
    );
  }
  if (footer.currentSize > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw tooLarge(path, Number.MAX_SAFE_INTEGER, limit);
  }
  const virtualSize = Number(footer.currentSize);

  if (footer.diskType === DISK_TYPE_DIFFERENCING) {
    throw new VhdError(
      "DIFFERENCING",
      path,
      "is a differencing VHD (disk type 4): it only holds the changes against a parent disk, and Azure accepts only fixed VHDs",
      `merge it with its parent into one fixed VHD (the parent must be reachable from the path recorded in it): qemu-img convert -O vpc -o subformat=fixed,force_size ${q} fixed.vhd`,
    );
  }
  if (footer.diskType !== DISK_TYPE_FIXED && footer.diskType !== DISK_TYPE_DYNAMIC) {
    throw new VhdError(
      "UNSUPPORTED_TYPE",
      path,
      `has VHD disk type ${footer.diskType}; only fixed (2) and dynamic (3) disks can be uploaded`,
      `convert it to a fixed VHD: qemu-img convert -O vpc -o subformat=fixed,force_size ${q} fixed.vhd`,
    );
  }

  if (footer.diskType === DISK_TYPE_FIXED) {
    const expected = virtualSize + FOOTER_SIZE;
    if (fileSize !== expected) {
      const short = fileSize < expected;
      throw new VhdError(
        short ? "TRUNCATED" : "SIZE_MISMATCH",
        path,
        `is a fixed VHD whose footer says ${formatExactBytes(virtualSize)}, so the file must be ${expected} bytes, but it is ${fileSize} bytes${short ? " (truncated)" : ""}`,
        short
          ? "copy or download the image again; the file is incomplete"
          : `rebuild it: qemu-img convert -f vpc -O vpc -o subformat=fixed,force_size ${q} fixed.vhd`,
      );
    }
    checkVirtualSize(path, virtualSize, limit, "vpc");
    return {
      facts: {
        path,
        format: "fixed",
        virtualSize,
        blobSize: virtualSize + FOOTER_SIZE,
        fileSize,
        allocatedBytes: Math.min(st.blocks * 512, fileSize),
        geometry: footer.geometry,
        fixedFooter: Buffer.from(tail),
      },
    };
  }
  return await analyseDynamic(fh, path, fileSize, tail, virtualSize, footer.dataOffset, limit);
}

function checkVirtualSize(path: string, virtualSize: number, limit: VhdLimit, format: "vpc" | "raw"): void {
  const q = shellQuote(path);
  if (virtualSize % MIB !== 0) {
    const rounded = roundUpMiB(virtualSize);
    throw new VhdError(
      format === "raw" ? "RAW_MISALIGNED" : "MISALIGNED_SIZE",
      path,
      `virtual size ${formatExactBytes(virtualSize)} is not a multiple of 1 MiB, which Azure requires`,
      format === "raw"
        ? `round it up to ${rounded} bytes: qemu-img resize -f raw ${q} ${rounded}`
        : `round it up to ${rounded} bytes: ${toVhdCommand(path, rounded)}`,
    );
  }
  if (virtualSize < MIN_VIRTUAL_SIZE) {
    throw new VhdError(
      "TOO_SMALL",
      path,
      `virtual size ${formatExactBytes(virtualSize)} is below Azure's minimum of 20 MiB`,
      format === "raw"
        ? `grow it: qemu-img resize -f raw ${q} ${MIN_VIRTUAL_SIZE}`
        : `grow it: ${toVhdCommand(path, MIN_VIRTUAL_SIZE)}`,
    );
  }
  if (virtualSize > limit.maxVirtualSize) throw tooLarge(path, virtualSize, limit);
}

function tooLarge(path: string, virtualSize: number, limit: VhdLimit): VhdError {
  return new VhdError(
    "TOO_LARGE",
    path,
    `virtual size ${formatExactBytes(virtualSize)} exceeds the maximum of ${formatExactBytes(limit.maxVirtualSize)}: ${limit.reason}`,
    `shrink the file systems and partitions inside the image first (e.g. resize2fs, then the partition table), then: qemu-img resize -f raw --shrink disk.raw ${limit.maxVirtualSize} on a raw copy (qemu-img convert -O raw ${shellQuote(path)} disk.raw)`,
  );
}

async function analyseRaw(
  fh: FileHandle,
  path: string,
  fileSize: number,
  allocated: number,
  limit: VhdLimit,
  allowRaw: boolean,
): Promise<ImageLayout> {
  const q = shellQuote(path);
  const head = await readAt(fh, Math.min(MIB, fileSize), 0);
  if (hasFooterCookie(head)) {
    // Dynamic and differencing VHDs start with a copy of the footer: the end of this one is missing.
    throw new VhdError(
      "TRUNCATED",
      path,
      "starts with a VHD footer copy (a dynamic or differencing VHD) but does not end with one: the file is truncated",
      "copy or download the image again; the file is incomplete",
    );
  }
  if (fileSize % MIB === FOOTER_SIZE) {
    throw new VhdError(
      "BAD_COOKIE",
      path,
      `is ${fileSize} bytes, the size of a VHD (1 MiB multiple + 512-byte footer), but its last 512 bytes do not start with the footer cookie "conectix": the footer is damaged or missing`,
      `if it is a fixed VHD whose data is intact, drop the damaged footer and let sig-publish treat it as a raw image: truncate -s ${fileSize - FOOTER_SIZE} ${q}; otherwise export the image again`,
    );
  }
  if (!allowRaw) {
    throw new VhdError(
      "BAD_COOKIE",
      path,
      `has no VHD footer (its last 512 bytes do not start with "conectix")`,
      `convert it: qemu-img convert -f raw -O vpc -o subformat=fixed,force_size ${q} fixed.vhd`,
    );
  }
  if (fileSize % MIB !== 0) {
    const rounded = roundUpMiB(fileSize);
    throw new VhdError(
      "RAW_MISALIGNED",
      path,
      `has no VHD footer, so it is read as a raw disk image, but its size ${formatExactBytes(fileSize)} is not a multiple of 1 MiB, which Azure requires`,
      `round it up to ${rounded} bytes: qemu-img resize -f raw ${q} ${rounded} (then upload it as is, or convert it: qemu-img convert -f raw -O vpc -o subformat=fixed,force_size ${q} fixed.vhd)`,
    );
  }
  checkVirtualSize(path, fileSize, limit, "raw");
  // A generated footer must be deterministic (the digest covers it): timestamp 0, and a unique id
  // derived from the size and the first and last MiB (cheap, and distinct for distinct images).
  const last = await readAt(fh, MIB, fileSize - MIB);
  const idHash = createHash("sha256")
    .update(`sig-publish raw ${fileSize}\n`)
    .update(head)
    .update(last)
    .digest();
  const uniqueId = Buffer.from(idHash.subarray(0, 16));
  uniqueId[6] = ((uniqueId[6] ?? 0) & 0x0f) | 0x50; // RFC 4122 name-based layout (version 5 style)
  uniqueId[8] = ((uniqueId[8] ?? 0) & 0x3f) | 0x80;
  const fixedFooter = buildFixedFooter({ currentSize: fileSize, uniqueId });
  return {
    facts: {
      path,
      format: "raw",
      virtualSize: fileSize,
      blobSize: fileSize + FOOTER_SIZE,
      fileSize,
      allocatedBytes: Math.min(allocated, fileSize),
      geometry: parseFooter(fixedFooter).geometry,
      fixedFooter,
    },
  };
}

async function analyseDynamic(
  fh: FileHandle,
  path: string,
  fileSize: number,
  footerBytes: Buffer,
  virtualSize: number,
  dataOffset: bigint,
  limit: VhdLimit,
): Promise<ImageLayout> {
  const q = shellQuote(path);
  const rebuild = `rebuild it: qemu-img convert -f vpc -O vpc -o subformat=fixed,force_size ${q} fixed.vhd (or export the image again)`;
  const dataEnd = fileSize - FOOTER_SIZE;
  if (
    dataOffset === NO_DATA_OFFSET ||
    dataOffset % BigInt(SECTOR) !== 0n ||
    dataOffset + 1024n > BigInt(dataEnd)
  ) {
    throw new VhdError(
      dataOffset !== NO_DATA_OFFSET && dataOffset + 1024n > BigInt(dataEnd)
        ? "TRUNCATED"
        : "BAD_DYNAMIC_HEADER",
      path,
      `is a dynamic VHD whose footer points at a dynamic header at offset ${dataOffset}, which is not inside the ${fileSize}-byte file`,
      rebuild,
    );
  }
  const headerBytes = await readAt(fh, DYNAMIC_HEADER_SIZE, Number(dataOffset));
  const header = parseDynamicHeader(headerBytes);
  if (header.cookie !== DYNAMIC_COOKIE) {
    throw new VhdError(
      "BAD_COOKIE",
      path,
      `is a dynamic VHD but the header at offset ${dataOffset} does not start with the cookie "cxsparse" (found ${JSON.stringify(header.cookie)})`,
      rebuild,
    );
  }
  if (header.checksum !== header.computedChecksum) {
    throw new VhdError(
      "BAD_CHECKSUM",
      path,
      `the dynamic header's checksum is 0x${header.checksum.toString(16)} but its bytes sum to 0x${header.computedChecksum.toString(16)}: the header is damaged`,
      rebuild,
    );
  }
  // Azure's size rules come before the layout checks and before reading a BAT that may be huge.
  checkVirtualSize(path, virtualSize, limit, "vpc");
  const { blockSize, maxTableEntries } = header;
  if (blockSize < SECTOR || blockSize % SECTOR !== 0 || blockSize > 256 * MIB) {
    throw new VhdError(
      "BAD_DYNAMIC_HEADER",
      path,
      `has an invalid dynamic block size of ${blockSize} bytes`,
      rebuild,
    );
  }
  const blockCount = Math.ceil(virtualSize / blockSize);
  if (maxTableEntries < blockCount) {
    throw new VhdError(
      "BAD_DYNAMIC_HEADER",
      path,
      `has a BAT of ${maxTableEntries} entries, but a ${formatExactBytes(virtualSize)} disk in ${blockSize}-byte blocks needs ${blockCount}`,
      rebuild,
    );
  }
  const batOffset = Number(header.tableOffset);
  const batBytes = blockCount * 4;
  if (header.tableOffset % BigInt(SECTOR) !== 0n || batOffset + batBytes > dataEnd) {
    throw new VhdError(
      batOffset + batBytes > dataEnd ? "TRUNCATED" : "BAD_BAT",
      path,
      `is a dynamic VHD whose block allocation table (offset ${header.tableOffset}, ${batBytes} bytes) does not fit in the file`,
      rebuild,
    );
  }
  const raw = await readAt(fh, batBytes, batOffset);
  const bat = new Uint32Array(blockCount);
  const bitmapSize = bitmapBytes(blockSize);
  let allocatedBlocks = 0;
  for (let i = 0; i < blockCount; i++) {
    const entry = raw.readUInt32BE(i * 4);
    bat[i] = entry;
    if (entry === BAT_UNUSED) continue;
    allocatedBlocks++;
    const needed = Math.min(blockSize, virtualSize - i * blockSize);
    const end = entry * SECTOR + bitmapSize + needed;
    if (end > dataEnd) {
      throw new VhdError(
        "TRUNCATED",
        path,
        `is a dynamic VHD whose block ${i} (at offset ${entry * SECTOR}) ends past the data area (${dataEnd} bytes): the file is truncated or damaged`,
        "copy or download the image again; if that does not help, " + rebuild,
      );
    }
    if (entry * SECTOR < batOffset + batBytes && entry * SECTOR + bitmapSize + needed > batOffset) {
      throw new VhdError("BAD_BAT", path, `is a dynamic VHD whose block ${i} overlaps its own BAT`, rebuild);
    }
  }
  const fixedFooter = fixedFooterFrom(footerBytes);
  return {
    facts: {
      path,
      format: "dynamic",
      virtualSize,
      blobSize: virtualSize + FOOTER_SIZE,
      fileSize,
      allocatedBytes: allocatedBlocks * blockSize,
      geometry: parseFooter(fixedFooter).geometry,
      fixedFooter,
      dynamic: { blockSize, blockCount, allocatedBlocks, batOffset },
    },
    bat,
    bitmapSize,
  };
}
