/**
 * The content digest of a logical fixed disk (the exact bytes of the page blob: data + footer).
 *
 * Format: `sha256-p4m:<64 hex>`. The disk is cut into 4 MiB pages (the last one shorter: it holds
 * the footer). With h_i = SHA-256(page_i), and for a full all-zero page the precomputed constant
 * SHA-256(4 MiB of zeros) so zero pages cost nothing to hash,
 *
 *   C_0     = SHA-256("sig-publish sha256-p4m v1\n" || uint64be(blobSize))
 *   C_{i+1} = SHA-256(C_i || h_i)
 *   digest  = C_n
 *
 * A chain (rather than one hash over all h_i) lets an interrupted upload record C_k for its
 * watermark at page k in blob metadata, and a later run prove that its local pages below the
 * watermark are the ones that were sent, by recomputing C_k in the same read pass.
 */
import { createHash, hash } from "node:crypto";

export const DIGEST_PAGE_SIZE = 4 * 1024 * 1024;
export const DIGEST_PREFIX = "sha256-p4m:";

export const ZERO_PAGE = Buffer.alloc(DIGEST_PAGE_SIZE);
let zeroPageHash: Buffer | undefined;

/** SHA-256 of one full all-zero 4 MiB page (computed once). */
export function zeroPageHash4M(): Buffer {
  zeroPageHash ??= hash("sha256", ZERO_PAGE, "buffer");
  return zeroPageHash;
}

export function pageHash(page: Uint8Array): Buffer {
  if (
    page.length === DIGEST_PAGE_SIZE &&
    Buffer.from(page.buffer, page.byteOffset, page.length).equals(ZERO_PAGE)
  ) {
    return zeroPageHash4M();
  }
  return hash("sha256", page, "buffer");
}

export class DigestChain {
  readonly blobSize: number;
  #value: Buffer;
  #pages = 0;

  constructor(blobSize: number) {
    this.blobSize = blobSize;
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(blobSize));
    this.#value = createHash("sha256").update("sig-publish sha256-p4m v1\n").update(size).digest();
  }

  get pageCount(): number {
    return this.#pages;
  }

  /** Total pages of the disk. */
  get totalPages(): number {
    return Math.ceil(this.blobSize / DIGEST_PAGE_SIZE);
  }

  /** Feed h_i for the next page in order. */
  addPageHash(h: Uint8Array): void {
    this.#value = createHash("sha256").update(this.#value).update(h).digest();
    this.#pages++;
  }

  addZeroPage(): void {
    this.addPageHash(zeroPageHash4M());
  }

  /** Hex of the current chain value C_pageCount. */
  get chainHex(): string {
    return this.#value.toString("hex");
  }

  /** The digest; only meaningful once every page was added. */
  get digest(): string {
    if (this.#pages !== this.totalPages) {
      throw new Error(`digest requested after ${this.#pages} of ${this.totalPages} pages`);
    }
    return DIGEST_PREFIX + this.chainHex;
  }
}

export function isDigest(value: string | undefined): value is string {
  return value !== undefined && /^sha256-p4m:[0-9a-f]{64}$/.test(value);
}
