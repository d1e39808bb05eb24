/**
 * `sig-publish upload --vhd FILE --blob-url URL`: one disk image to one page blob, with the same
 * validation, zero skipping and resume as a publish. Credentials: a SAS in the URL, else
 * AZURE_STORAGE_KEY (shared key of the URL's account), else Entra ID (the CLI's credential chain).
 */
import { StorageSharedKeyCredential } from "@azure/storage-blob";
import { toEngineProgress } from "../adapters/azure/disk-uploader.ts";
import { developerCredential } from "../adapters/azure/credentials.ts";
import { displayUrl, type BlobCredential } from "../adapters/azure/page-blob.ts";
import { InputError } from "../core/problems.ts";
import { VhdError } from "../core/vhd/index.ts";
import type { Logger, UploadProgress } from "../engine/contract.ts";
import { uploadVhdToBlobUrl, type UploadResult } from "../upload/index.ts";
import { formatBytes, formatDuration } from "../core/format.ts";

export interface UploadCommandArgs {
  readonly vhdPath: string;
  readonly blobUrl: string;
  readonly concurrency: number;
  readonly onProgress: (progress: UploadProgress) => void;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface UploadCommandResult {
  readonly blobUrl: string;
  readonly outcome: UploadResult["outcome"];
  readonly digest: string;
  readonly bytesTotal: number;
  readonly bytesSent: number;
  readonly bytesSkipped: number;
  readonly seconds: number;
  readonly summary: string;
}

/** Account name of a blob URL: the host's first label, or the first path segment for Azurite-style URLs. */
export function accountOf(url: URL): string {
  const host = url.hostname;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host === "localhost") return url.pathname.split("/")[1] ?? "";
  return host.split(".")[0] ?? "";
}

function credentialFor(blobUrl: string): BlobCredential | undefined {
  let url: URL;
  try {
    url = new URL(blobUrl);
  } catch {
    throw new InputError({
      code: "upload.bad-url",
      message: `--blob-url is not a URL: ${displayUrl(blobUrl)}`,
      fix: "Pass https://<account>.blob.core.windows.net/<container>/<name>.vhd (with ?<SAS> or credentials).",
    });
  }
  if (url.searchParams.has("sig")) return undefined;
  const key = process.env["AZURE_STORAGE_KEY"];
  if (key !== undefined && key !== "") return new StorageSharedKeyCredential(accountOf(url), key);
  return developerCredential();
}

export async function runUploadCommand(args: UploadCommandArgs): Promise<UploadCommandResult> {
  const shown = displayUrl(args.blobUrl);
  args.log.info(`uploading ${args.vhdPath} to ${shown}`);
  const credential = credentialFor(args.blobUrl);
  let result: UploadResult;
  try {
    result = await uploadVhdToBlobUrl({
      vhdPath: args.vhdPath,
      blobUrl: args.blobUrl,
      ...(credential === undefined ? {} : { credential }),
      concurrency: args.concurrency,
      onProgress: (p) => args.onProgress(toEngineProgress("upload", p)),
      signal: args.signal,
    });
  } catch (error) {
    if (error instanceof VhdError) {
      throw new InputError({
        code: `vhd.${error.code.toLowerCase().replaceAll("_", "-")}`,
        message: `${args.vhdPath}: ${error.problem}`,
        fix: error.fix,
        location: { file: args.vhdPath },
      });
    }
    throw error;
  }
  const seconds = result.durationMs / 1000;
  const how =
    result.outcome === "already-complete"
      ? "already complete (digest verified), nothing sent"
      : `${result.outcome}: sent ${formatBytes(result.bytesSent)}, skipped ${formatBytes(result.bytesSkipped)} of zeros`;
  return {
    blobUrl: shown,
    outcome: result.outcome,
    digest: result.digest,
    bytesTotal: result.bytesTotal,
    bytesSent: result.bytesSent,
    bytesSkipped: result.bytesSkipped,
    seconds,
    summary: `${shown}\n  ${formatBytes(result.bytesTotal)} page blob, ${how}, in ${formatDuration(seconds)}\n  digest ${result.digest}`,
  };
}
