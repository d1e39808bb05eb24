/**
 * The plan: what a publish would do, step by step, and the read model it is computed from.
 * Pure types; `buildPlan` (build.ts) fills them, render.ts turns them into markdown, text and JSON.
 */
import type { ResolvedManifest, StagingVia, StorageAccountType } from "../manifest/model.ts";
import type { Problem } from "../problems.ts";
import type { VersionChoice, VersionReason } from "../version/index.ts";

// ---------------------------------------------------------------------------------------------
// Read model: what Azure holds. The Azure adapter implements GalleryReader.
// ---------------------------------------------------------------------------------------------

/**
 * An existing image definition as read from Azure. Loosely typed (Azure may return values outside
 * the manifest's enums) and structurally compatible with the engine's `ImageDefinitionInfo`.
 * `SecurityType` is a gallery image feature in Azure: give it in `features` (as Azure does) or in
 * `securityType`.
 */
export interface ExistingImageDefinition {
  readonly location?: string;
  readonly osType?: string;
  readonly osState?: string;
  readonly hyperVGeneration?: string;
  readonly architecture?: string;
  readonly publisher?: string;
  readonly offer?: string;
  readonly sku?: string;
  readonly securityType?: string;
  readonly features?: Readonly<Record<string, string>>;
  readonly description?: string;
  readonly eula?: string;
  readonly privacyStatementUri?: string;
  readonly releaseNoteUri?: string;
  /** ISO date or date-time; compared by date. */
  readonly endOfLifeDate?: string;
  readonly recommended?: {
    readonly vCPUs?: { readonly min?: number; readonly max?: number };
    readonly memory?: { readonly min?: number; readonly max?: number };
  };
  readonly disallowedDiskTypes?: readonly string[];
  readonly purchasePlan?: { readonly publisher?: string; readonly name?: string; readonly product?: string };
  readonly tags?: Readonly<Record<string, string>>;
}

export interface ExistingImageVersion {
  readonly name: string;
  /** The VHD digest sig-publish recorded in the version's tags. */
  readonly digest?: string;
  readonly provisioningState?: string;
  readonly excludeFromLatest?: boolean;
  /** Aggregated replication state: Completed, InProgress, Failed, NotStarted, Unknown. */
  readonly replicationState?: string;
}

export interface ExistingBlob {
  /** Blob name inside the staging container, e.g. `ubuntu-web/1.4.3/os.vhd`. */
  readonly path: string;
  /** The VHD digest from the blob's metadata. */
  readonly digest?: string;
  /** False when an upload was interrupted (the metadata marks completion). */
  readonly complete: boolean;
}

export interface ExistingIntermediate {
  readonly name: string;
  readonly provisioningState?: string;
}

/**
 * What Azure holds for one manifest. `undefined` for the whole object means "no read access"
 * (no credentials); an absent optional field means "could not be read" (e.g. no data-plane role).
 */
export interface AzureFacts {
  readonly gallery: { readonly exists: boolean; readonly location?: string };
  /** Absent when the gallery does not exist. */
  readonly imageDefinition?: { readonly exists: boolean; readonly properties?: ExistingImageDefinition };
  /** Versions of this image definition (empty when it does not exist). */
  readonly versions: readonly ExistingImageVersion[];
  readonly stagingContainerExists?: boolean;
  /** Blobs under `<image>/<version>/` in the staging container. */
  readonly existingBlobs?: readonly ExistingBlob[];
  /** Managed disks / snapshots with the deterministic names of `intermediateNames`. */
  readonly existingDisks?: readonly ExistingIntermediate[];
  readonly existingSnapshots?: readonly ExistingIntermediate[];
}

/** What exists of one version's intermediates (blobs, disks, snapshots): see `intermediateNames`. */
export type IntermediateFacts = Pick<AzureFacts, "existingBlobs" | "existingDisks" | "existingSnapshots">;

/**
 * Implemented by the Azure adapter; read-only, so safe in plan mode. The engine reads once without a
 * version (gallery, definition, versions with digest tags, container), chooses the version, then
 * reads again with `{ version }` to learn which of that version's intermediates exist (blobs under
 * `<image>/<version>/`, disks and snapshots named by `intermediateNames`).
 */
export interface GalleryReader {
  read(manifest: ResolvedManifest, options?: { readonly version?: string }): Promise<AzureFacts>;
}

// ---------------------------------------------------------------------------------------------
// Local facts: the VHDs. Structurally a subset of src/core/vhd's VhdFacts plus role/lun/digest.
// ---------------------------------------------------------------------------------------------

export interface LocalDiskFacts {
  readonly role: "os" | "data";
  /** Data disks only. */
  readonly lun?: number;
  readonly path: string;
  readonly format: "fixed" | "dynamic" | "raw";
  /** Bytes as the VM sees them. */
  readonly virtualSize: number;
  /** Bytes of the page blob (virtual size + 512-byte footer). */
  readonly blobSize: number;
  /** Upper bound of bytes holding data (what the upload sends at most). */
  readonly allocatedBytes?: number;
  /** The disk's digest, when computed. */
  readonly digest?: string;
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/** chooseVersion refused (conflict, too low, invalid, overflow): the plan shows it as a blocker. */
export interface VersionBlocked {
  readonly blocked: true;
  /** The version that was asked for (explicit or version.number), used for names in the plan. */
  readonly requested: string;
  readonly problems: readonly Problem[];
}

export type VersionDecision = VersionChoice | VersionBlocked;

export type PlanMode = "plan" | "publish";

export interface PlanInput {
  readonly manifest: ResolvedManifest;
  readonly version: VersionDecision;
  /** undefined: no read access (no credentials). */
  readonly azure: AzureFacts | undefined;
  /** The inspected VHDs; when absent, the disks come from the manifest with unknown sizes. */
  readonly disks?: readonly LocalDiskFacts[];
  readonly mode: PlanMode;
  /** Default true. */
  readonly waitForReplication?: boolean;
  /** For `endOfLifeDate: P180D`: the publish time. Without it the plan says "180 days after publishing". */
  readonly now?: Date;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

export type StepAction =
  "acquire" | "create" | "update" | "keep" | "conflict" | "upload" | "skip" | "wait" | "delete" | "unknown";

export type StepResource =
  | "lock"
  | "gallery"
  | "imageDefinition"
  | "container"
  | "blob"
  | "disk"
  | "snapshot"
  | "imageVersion"
  | "replication"
  | "cleanup"
  | "retention";

export interface PropertyChange {
  /** Property in manifest terms: `osType`, `recommended.vCPUs.max`, `tags.team`. */
  readonly property: string;
  /** Display form of the value in Azure; undefined when absent. */
  readonly from?: string;
  /** Display form of the manifest's value; undefined when absent. */
  readonly to?: string;
}

export type StepDetailValue = string | number | boolean | readonly string[];

export interface PlanStep {
  /** Stable id: `gallery`, `upload-os`, `disk-lun-0`, `retention-1.2.0`, … */
  readonly id: string;
  readonly action: StepAction;
  readonly resource: StepResource;
  /** The resource's name (blob path, region list, version). */
  readonly name: string;
  /** Why, in one sentence. */
  readonly reason: string;
  /** Property changes for `update` and `conflict` steps on the image definition. */
  readonly changes?: readonly PropertyChange[];
  readonly details?: Readonly<Record<string, StepDetailValue>>;
}

export interface PlanRegion {
  readonly name: string;
  readonly replicas: number;
  readonly storageAccountType: StorageAccountType;
  /** The gallery's location, where the version's source lives. */
  readonly source: boolean;
  readonly encrypted: boolean;
}

export interface PlanBlocker {
  readonly code: string;
  readonly message: string;
  readonly fix?: string;
  /** The step it blocks. */
  readonly stepId?: string;
}

export interface PlanVersion {
  readonly value: string;
  /** "At least": the gallery could not be read. */
  readonly lowerBound: boolean;
  /** undefined when the version was refused (see blockers). */
  readonly reason?: VersionReason;
  readonly resume: boolean;
  readonly blocked: boolean;
  readonly explanation: string;
  readonly highestExisting?: string;
  readonly bumpedFrom?: string;
  readonly needsDigestToDecide?: boolean;
}

export interface PlanVia {
  readonly value: StagingVia;
  readonly requested: StagingVia;
  /** Why `value` differs from `requested` (or what requires it). */
  readonly reason?: string;
}

export interface Plan {
  readonly schemaVersion: 1;
  readonly mode: PlanMode;
  readonly manifestFile: string;
  readonly target: {
    readonly subscription?: string;
    readonly resourceGroup: string;
    readonly gallery: string;
    readonly imageDefinition: string;
    readonly location: string;
  };
  /** False when the plan was made without reading Azure. */
  readonly readAccess: boolean;
  readonly version: PlanVersion;
  readonly via: PlanVia;
  readonly replicationMode: string;
  readonly promote: string;
  readonly targetRegions: readonly PlanRegion[];
  readonly disks: readonly {
    readonly key: string;
    readonly path: string;
    readonly format?: string;
    readonly virtualSize?: number;
    readonly blobSize?: number;
    readonly digest?: string;
  }[];
  readonly steps: readonly PlanStep[];
  readonly warnings: readonly string[];
  readonly blockers: readonly PlanBlocker[];
  /** True when nothing blocks the publish. */
  readonly ok: boolean;
}
