/**
 * The emulator's check of a VHD footer (the last 512 bytes of a fixed VHD), the way Azure checks a
 * blob before importing it as a managed disk or an image version: cookie `conectix`, fixed disk
 * type, checksum, and a virtual size that is a whole number of MiB equal to blob length - 512.
 * Independent from src/ on purpose: the emulator must not trust the code it tests.
 */

export const VHD_FOOTER_SIZE = 512;
const MIB = 1024 * 1024;

export interface VhdFooterInfo {
  readonly currentSize: number;
  readonly diskType: number;
}

/** Returns an error message, or the footer's facts when the blob holds an importable fixed VHD. */
export function checkFixedVhd(
  footer: Buffer,
  blobLength: number,
): { ok: true; info: VhdFooterInfo } | { ok: false; message: string } {
  if (blobLength < VHD_FOOTER_SIZE || footer.length !== VHD_FOOTER_SIZE) {
    return {
      ok: false,
      message: "Only blobs formatted as VHDs can be imported: the blob is smaller than a VHD footer.",
    };
  }
  const cookie = footer.subarray(0, 8).toString("latin1");
  if (cookie !== "conectix") {
    return {
      ok: false,
      message: `The specified cookie value in VHD footer indicates that the blob is not a supported VHD. Disk is expected to have cookie value 'conectix' (found '${printable(cookie)}').`,
    };
  }
  const diskType = footer.readUInt32BE(60);
  if (diskType !== 2) {
    const kind = diskType === 3 ? "dynamic" : diskType === 4 ? "differencing" : `type ${diskType}`;
    return { ok: false, message: `The VHD is ${kind}; only fixed VHDs can be imported.` };
  }
  const stored = footer.readUInt32BE(64);
  if (stored !== footerChecksum(footer)) {
    return { ok: false, message: "The VHD footer checksum is invalid." };
  }
  const currentSize = Number(footer.readBigUInt64BE(48));
  const virtualSize = blobLength - VHD_FOOTER_SIZE;
  if (virtualSize % MIB !== 0) {
    return {
      ok: false,
      message: `The upload size in bytes ${blobLength} - 512 bytes for the VHD footer (${virtualSize} in this case) must be a multiple of MiB.`,
    };
  }
  if (currentSize !== virtualSize) {
    return {
      ok: false,
      message: `The VHD footer's current size ${currentSize} does not match the blob length ${blobLength} - 512 bytes for the VHD footer.`,
    };
  }
  return { ok: true, info: { currentSize, diskType } };
}

/** One's complement of the byte sum of the footer with the checksum field (bytes 64..67) zeroed. */
export function footerChecksum(footer: Buffer): number {
  let sum = 0;
  for (let i = 0; i < VHD_FOOTER_SIZE; i++) {
    if (i >= 64 && i < 68) continue;
    sum += footer[i] ?? 0;
  }
  return ~sum >>> 0;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?");
}
