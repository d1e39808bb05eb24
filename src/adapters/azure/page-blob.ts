/**
 * PageBlobTarget on @azure/storage-blob's PageBlobClient. The SDK's own retries are turned off
 * (maxTries 1): the uploader retries with backoff and Retry-After itself (src/upload/retry.ts),
 * and SDK errors are mapped to BlobRequestError so it can tell what is worth retrying.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { StorageSharedKeyCredential } from "@azure/storage-blob";
import { AnonymousCredential, PageBlobClient } from "@azure/storage-blob";
import {
  BlobRequestError,
  assertPutPageRange,
  type BlobState,
  type PageBlobTarget,
  type PageRange,
} from "../../upload/target.ts";
import { parseRetryAfter } from "../../upload/retry.ts";

export type BlobCredential = StorageSharedKeyCredential | AnonymousCredential | TokenCredential;

interface SdkErrorLike {
  readonly name?: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
  readonly response?: { readonly headers?: { get(name: string): string | undefined } };
}

function toRequestError(what: string, error: unknown): unknown {
  if (typeof error !== "object" || error === null) return error;
  const e = error as SdkErrorLike;
  if (e.name === "AbortError") return error;
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const errorCode = e.response?.headers?.get("x-ms-error-code");
  const code = errorCode ?? e.code;
  const retryAfterMs = parseRetryAfter(e.response?.headers?.get("retry-after"));
  const statusText = status === undefined ? "" : ` (${status}${code === undefined ? "" : ` ${code}`})`;
  return new BlobRequestError(`${what} failed${statusText}: ${(e.message ?? String(error)).split("\n")[0]}`, {
    status,
    code,
    retryAfterMs,
    cause: error,
  });
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as SdkErrorLike).statusCode === 404;
}

export function displayUrl(blobUrl: string): string {
  const u = new URL(blobUrl);
  return `${u.origin}${u.pathname}`;
}

export class AzurePageBlobTarget implements PageBlobTarget {
  readonly displayUrl: string;
  readonly client: PageBlobClient;

  /** `blobUrl` may carry a SAS; otherwise pass a credential. */
  constructor(blobUrl: string, credential?: BlobCredential) {
    this.client = new PageBlobClient(blobUrl, credential ?? new AnonymousCredential(), {
      retryOptions: { maxTries: 1 },
      keepAliveOptions: { enable: true },
    });
    this.displayUrl = displayUrl(blobUrl);
  }

  async getState(signal?: AbortSignal): Promise<BlobState | undefined> {
    try {
      const p = await this.client.getProperties(signal ? { abortSignal: signal } : {});
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k.toLowerCase()] = v;
      return { size: p.contentLength ?? 0, metadata };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toRequestError(`reading ${this.displayUrl}`, error);
    }
  }

  async create(size: number, metadata: Record<string, string>, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.create(size, { metadata, ...(signal ? { abortSignal: signal } : {}) });
    } catch (error) {
      throw toRequestError(`creating page blob ${this.displayUrl}`, error);
    }
  }

  async putPages(offset: number, data: Buffer, md5: Buffer, signal?: AbortSignal): Promise<void> {
    assertPutPageRange(offset, data.length);
    try {
      await this.client.uploadPages(data, offset, data.length, {
        transactionalContentMD5: md5,
        ...(signal ? { abortSignal: signal } : {}),
      });
    } catch (error) {
      throw toRequestError(`Put Page at ${offset} (+${data.length}) to ${this.displayUrl}`, error);
    }
  }

  async clearPages(offset: number, length: number, signal?: AbortSignal): Promise<void> {
    if (offset % 512 !== 0 || length % 512 !== 0 || length <= 0) {
      throw new RangeError(`Clear Pages range [${offset}, +${length}) is not 512-aligned`);
    }
    try {
      await this.client.clearPages(offset, length, signal ? { abortSignal: signal } : {});
    } catch (error) {
      throw toRequestError(`Clear Pages at ${offset} (+${length}) on ${this.displayUrl}`, error);
    }
  }

  async listPageRanges(offset: number, length: number, signal?: AbortSignal): Promise<PageRange[]> {
    const ranges: PageRange[] = [];
    try {
      // The REST API reports inclusive end bytes ({start, end} here; getPageRanges() turns them
      // into {offset, count = end − start}, one short): length is end − start + 1.
      for await (const r of this.client.listPageRanges(
        offset,
        length,
        signal ? { abortSignal: signal } : {},
      )) {
        if (r.isClear) continue;
        ranges.push({ offset: r.start, length: r.end - r.start + 1 });
      }
    } catch (error) {
      throw toRequestError(`listing the pages of ${this.displayUrl}`, error);
    }
    ranges.sort((a, b) => a.offset - b.offset);
    // merge adjacent ranges
    const merged: PageRange[] = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && last.offset + last.length >= r.offset) {
        merged[merged.length - 1] = {
          offset: last.offset,
          length: Math.max(last.offset + last.length, r.offset + r.length) - last.offset,
        };
      } else merged.push(r);
    }
    return merged;
  }

  async setMetadata(metadata: Record<string, string>, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.setMetadata(metadata, signal ? { abortSignal: signal } : {});
    } catch (error) {
      throw toRequestError(`writing the metadata of ${this.displayUrl}`, error);
    }
  }
}
