/**
 * The one engine behind the action and the CLI. Entry points translate their inputs into an
 * EngineRequest, call runEngine (src/engine/run.ts), and render the EngineResult their own way
 * (job summary + outputs + PR comment, or text/JSON on a terminal).
 */
import type { TokenCredential } from "@azure/core-auth";
import type { Bump } from "../core/manifest/model.ts";

export type Mode = "plan" | "publish" | "status";

export type ReplicationState = "Completed" | "InProgress" | "Failed" | "NotStarted";

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Groups related lines (the action folds them; the CLI indents or ignores). */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
}

export interface UploadProgress {
  readonly disk: string;
  readonly totalBytes: number;
  readonly scannedBytes: number;
  readonly sentBytes: number;
  readonly skippedBytes: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds?: number;
}

/** How to reach Azure. Absent in plan mode without credentials (fork pull requests). */
export interface AzureAccess {
  readonly credential: TokenCredential;
  /** Where the credential came from, for the log: `OIDC (GitHub)`, `Azure CLI`, `static token`, … */
  readonly credentialSource: string;
  readonly subscriptionId?: string;
  /** ARM endpoint, default https://management.azure.com */
  readonly armEndpoint?: string;
  /**
   * Blob endpoint of the staging account; `{account}` is replaced by the account name.
   * Default https://{account}.blob.core.windows.net
   */
  readonly blobEndpoint?: string;
  /** Shared key of the staging account (AZURE_STORAGE_KEY); else the credential is used (Entra ID). */
  readonly storageAccountKey?: string;
}

export interface RunContext {
  readonly commitSha?: string;
  readonly runUrl?: string;
  readonly repository?: string;
  readonly eventName?: string;
  readonly ref?: string;
}

export interface EngineRequest {
  readonly mode: Mode;
  /** The manifest path as given (relative to workspace or absolute). */
  readonly manifestPath: string;
  /** Repository root: manifest disk paths are relative to it and must stay inside it. */
  readonly workspace: string;
  /** Overrides disks.os; may point anywhere. */
  readonly vhdPath?: string;
  /** Explicit version (input, or parsed from the release tag by the caller). */
  readonly version?: string;
  readonly bump?: Bump;
  readonly waitForReplication: boolean;
  readonly timeoutMinutes: number;
  readonly uploadConcurrency: number;
  readonly updateManifest: boolean;
  readonly azure?: AzureAccess;
  readonly context: RunContext;
  readonly log: Logger;
  readonly onUploadProgress?: (progress: UploadProgress) => void;
  readonly signal?: AbortSignal;
}

export interface EngineResult {
  readonly mode: Mode;
  /** The version published or planned. */
  readonly version?: string;
  /** True when the version is a lower bound ("at least"), because the gallery could not be read. */
  readonly versionIsLowerBound: boolean;
  readonly imageVersionId?: string;
  readonly imageDefinitionId?: string;
  readonly replicationState: ReplicationState;
  /** The plan, JSON-serialisable (the `plan` output). */
  readonly plan: unknown;
  readonly vhdDigest?: string;
  /** Markdown for the job summary / PR comment (already size-capped by the engine). */
  readonly summaryMarkdown: string;
  /** True when the run achieved what was asked (plan made, or version published and replicated). */
  readonly ok: boolean;
}
