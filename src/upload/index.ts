/**
 * Upload of one disk image to a page blob: the engine calls `uploadVhd` with its own target, the
 * CLI's `sig-publish upload --vhd FILE --blob-url URL` calls `uploadVhdToBlobUrl`.
 */
import { AzurePageBlobTarget, type BlobCredential } from "../adapters/azure/page-blob.ts";
import type { InspectOptions } from "../core/vhd/inspect.ts";
import { openLogicalDisk } from "../core/vhd/reader.ts";
import type { PageBlobTarget } from "./target.ts";
import { uploadDisk, type UploadOptions, type UploadResult } from "./uploader.ts";

export {
  META_CHAIN,
  META_DIGEST,
  META_FORMAT,
  META_SIZE,
  META_STATE,
  META_WATERMARK,
  UploadError,
  ZERO_GRANULE,
  nonZeroRuns,
  uploadDisk,
  type UploadOptions,
  type UploadOutcome,
  type UploadPhase,
  type UploadProgress,
  type UploadResult,
} from "./uploader.ts";
export {
  MAX_PUT_PAGE,
  BlobRequestError,
  assertPutPageRange,
  type BlobState,
  type PageBlobTarget,
  type PageRange,
} from "./target.ts";
export { isRetryable, parseRetryAfter, withRetry, type RetryOptions } from "./retry.ts";

/** Validates the image (VhdError on refusal), then uploads it to `target`. */
export async function uploadVhd(
  vhdPath: string,
  target: PageBlobTarget,
  options: UploadOptions & InspectOptions = {},
): Promise<UploadResult> {
  const disk = await openLogicalDisk(vhdPath, options);
  try {
    return await uploadDisk(disk, target, options);
  } finally {
    await disk.close();
  }
}

export interface UploadToBlobUrlOptions extends UploadOptions, InspectOptions {
  readonly vhdPath: string;
  /** https://account.blob.core.windows.net/container/path.vhd, with a SAS query or not. */
  readonly blobUrl: string;
  /** When the URL has no SAS: a StorageSharedKeyCredential or a TokenCredential. */
  readonly credential?: BlobCredential;
}

/** `sig-publish upload --vhd FILE --blob-url URL` (PRODUCT §6). */
export async function uploadVhdToBlobUrl(options: UploadToBlobUrlOptions): Promise<UploadResult> {
  const { vhdPath, blobUrl, credential, ...rest } = options;
  return await uploadVhd(vhdPath, new AzurePageBlobTarget(blobUrl, credential), rest);
}
