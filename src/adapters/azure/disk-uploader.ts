/**
 * DiskUploader on the staging container: each disk goes to `<container>/<blobName>` through the
 * page-blob uploader (src/upload), which validates the image, skips zero pages, resumes and
 * records the digest in the blob's metadata.
 */
import type { TokenCredential } from "@azure/core-auth";
import { StorageSharedKeyCredential, type ContainerClient } from "@azure/storage-blob";
import type { UploadProgress } from "../../engine/contract.ts";
import type { DiskUploader, UploadOutcome } from "../../engine/ports.ts";
import {
  META_DIGEST,
  META_STATE,
  uploadVhd,
  type UploadProgress as UploaderProgress,
} from "../../upload/index.ts";
import { AzurePageBlobTarget } from "./page-blob.ts";

/** Reads the uploader's metadata on a staging blob (for the plan). */
export function stagedBlobStatus(metadata: Readonly<Record<string, string>>): {
  digest?: string;
  complete: boolean;
} {
  const digest = metadata[META_DIGEST];
  return { complete: metadata[META_STATE] === "complete", ...(digest === undefined ? {} : { digest }) };
}

export function toEngineProgress(disk: string, p: UploaderProgress): UploadProgress {
  return {
    disk,
    totalBytes: p.bytesTotal,
    scannedBytes: p.bytesScanned,
    sentBytes: p.bytesSent,
    skippedBytes: p.bytesSkipped,
    bytesPerSecond: p.bytesPerSecond,
    ...(p.etaSeconds === undefined ? {} : { etaSeconds: p.etaSeconds }),
  };
}

export class StagingDiskUploader implements DiskUploader {
  readonly #container: ContainerClient;
  readonly #credential: StorageSharedKeyCredential | TokenCredential;

  constructor(
    container: ContainerClient,
    credential: { accountName: string; accountKey?: string; token?: TokenCredential },
  ) {
    this.#container = container;
    if (credential.accountKey !== undefined && credential.accountKey !== "") {
      this.#credential = new StorageSharedKeyCredential(credential.accountName, credential.accountKey);
    } else if (credential.token !== undefined) {
      this.#credential = credential.token;
    } else {
      throw new Error("No credential for the staging storage account.");
    }
  }

  async upload(args: Parameters<DiskUploader["upload"]>[0]): Promise<UploadOutcome> {
    const blob = this.#container.getBlobClient(args.blobPath);
    const target = new AzurePageBlobTarget(blob.url, this.#credential);
    const onProgress = args.onProgress;
    const result = await uploadVhd(args.localPath, target, {
      concurrency: args.concurrency,
      ...(onProgress === undefined
        ? {}
        : { onProgress: (p: UploaderProgress) => onProgress(toEngineProgress(args.label, p)) }),
      ...(args.signal === undefined ? {} : { signal: args.signal }),
    });
    return {
      blobUrl: blob.url,
      digest: result.digest,
      totalBytes: result.bytesTotal,
      sentBytes: result.bytesSent,
      skippedBytes: result.bytesSkipped,
      seconds: result.durationMs / 1000,
      reused: result.outcome === "already-complete",
      resumed: result.outcome === "resumed",
    };
  }

  async deleteBlob(blobPath: string): Promise<void> {
    await this.#container.getBlobClient(blobPath).deleteIfExists({ deleteSnapshots: "include" });
  }
}
