/** `sig-publish upload --vhd FILE --blob-url URL` (being wired to the uploader). */
import type { Logger, UploadProgress } from "../engine/contract.ts";

export interface UploadCommandArgs {
  readonly vhdPath: string;
  readonly blobUrl: string;
  readonly concurrency: number;
  readonly onProgress: (progress: UploadProgress) => void;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface UploadCommandResult {
  readonly summary: string;
}

export async function runUploadCommand(args: UploadCommandArgs): Promise<UploadCommandResult> {
  throw new Error(`upload of ${args.vhdPath} is not wired yet`);
}
