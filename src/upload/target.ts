/**
 * What the uploader needs from a page blob. The Azure adapter (src/adapters/azure/page-blob.ts)
 * implements it with @azure/storage-blob; tests can implement it in memory.
 *
 * Contract: putPages receives 512-aligned offsets and 512-multiple lengths of at most 4 MiB;
 * implementations must refuse anything else (the service would, Azurite does not).
 */
export interface BlobState {
  /** Content length of the blob. */
  readonly size: number;
  /** Metadata, keys in lower case. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PageRange {
  readonly offset: number;
  /** Bytes (not the SDK's "last byte − offset"). */
  readonly length: number;
}

export interface PageBlobTarget {
  /** For messages: the blob URL without its query (no SAS). */
  readonly displayUrl: string;
  /** undefined when the blob does not exist. */
  getState(signal?: AbortSignal): Promise<BlobState | undefined>;
  /** Creates (or replaces, as all zeros) a page blob of `size` bytes with this metadata. */
  create(size: number, metadata: Record<string, string>, signal?: AbortSignal): Promise<void>;
  putPages(offset: number, data: Buffer, md5: Buffer, signal?: AbortSignal): Promise<void>;
  clearPages(offset: number, length: number, signal?: AbortSignal): Promise<void>;
  /** Ranges holding data within [offset, offset + length), in order. */
  listPageRanges(offset: number, length: number, signal?: AbortSignal): Promise<PageRange[]>;
  /** Replaces the blob's metadata. */
  setMetadata(metadata: Record<string, string>, signal?: AbortSignal): Promise<void>;
}

/** The largest Put Page the service accepts. */
export const MAX_PUT_PAGE = 4 * 1024 * 1024;
export const PAGE_ALIGNMENT = 512;

/** Throws a RangeError unless [offset, offset + length) is a valid Put Page range. */
export function assertPutPageRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % PAGE_ALIGNMENT !== 0) {
    throw new RangeError(`Put Page offset ${offset} is not a non-negative multiple of ${PAGE_ALIGNMENT}`);
  }
  if (!Number.isSafeInteger(length) || length <= 0 || length % PAGE_ALIGNMENT !== 0) {
    throw new RangeError(`Put Page length ${length} is not a positive multiple of ${PAGE_ALIGNMENT}`);
  }
  if (length > MAX_PUT_PAGE) {
    throw new RangeError(
      `Put Page length ${length} exceeds the service maximum of ${MAX_PUT_PAGE} bytes (4 MiB)`,
    );
  }
}

/**
 * An error from a target with what the retry policy needs. Adapters map their SDK errors to it;
 * `cause` keeps the original.
 */
export class BlobRequestError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    details: {
      status?: number | undefined;
      code?: string | undefined;
      retryAfterMs?: number | undefined;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "BlobRequestError";
    this.status = details.status;
    this.code = details.code;
    this.retryAfterMs = details.retryAfterMs;
  }
}
