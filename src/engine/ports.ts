/**
 * What the publish engine needs from Azure, in the engine's own terms. The Azure adapters
 * (src/adapters/azure) implement these with @azure/arm-compute and @azure/storage-blob; tests can
 * implement them in memory. Nothing here imports an SDK.
 */
import type {
  Architecture,
  HyperVGeneration,
  OsState,
  OsType,
  ReplicationMode,
  StorageAccountType,
} from "../core/manifest/model.ts";
import type { ExistingImageDefinition } from "../core/plan/types.ts";
import type { UploadProgress } from "./contract.ts";

/** States Azure reports for provisioning (extensible: Azure may add more). */
export type ProvisioningState = "Creating" | "Updating" | "Succeeded" | "Failed" | "Deleting" | string;

export interface GalleryInfo {
  readonly id: string;
  readonly location: string;
  readonly provisioningState?: ProvisioningState;
}

/**
 * An image definition as read from Azure: the plan's read model (the same fields the plan compares)
 * plus what the engine needs to address it.
 */
export interface ImageDefinitionInfo extends ExistingImageDefinition {
  readonly id: string;
  readonly location: string;
  readonly provisioningState?: ProvisioningState;
  readonly features: Readonly<Record<string, string>>;
  readonly disallowedDiskTypes: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

/** The definition as the engine wants it to be (create, or update of mutable properties). */
export interface ImageDefinitionSpec {
  readonly location: string;
  readonly osType: OsType;
  readonly osState: OsState;
  readonly hyperVGeneration: HyperVGeneration;
  readonly architecture: Architecture;
  readonly publisher: string;
  readonly offer: string;
  readonly sku: string;
  readonly features: Readonly<Record<string, string>>;
  readonly description?: string;
  readonly eula?: string;
  readonly privacyStatementUri?: string;
  readonly releaseNoteUri?: string;
  readonly endOfLifeDate?: string;
  readonly recommended?: ExistingImageDefinition["recommended"];
  readonly disallowedDiskTypes: readonly string[];
  readonly purchasePlan?: { readonly publisher: string; readonly name: string; readonly product: string };
  readonly tags: Readonly<Record<string, string>>;
}

export type RegionReplicationState = "Unknown" | "Replicating" | "Completed" | "Failed" | string;

export interface RegionReplication {
  readonly region: string;
  readonly state: RegionReplicationState;
  readonly progress?: number;
  readonly details?: string;
}

export interface ImageVersionInfo {
  readonly id: string;
  readonly name: string;
  readonly location: string;
  readonly provisioningState?: ProvisioningState;
  readonly tags: Readonly<Record<string, string>>;
  readonly excludeFromLatest?: boolean;
  readonly targetRegions: readonly TargetRegionSpec[];
  /** Source IDs/URIs per disk: `os`, `lun-0`, … */
  readonly sources: Readonly<Record<string, string>>;
  readonly replication?: {
    readonly aggregatedState?: string;
    readonly regions: readonly RegionReplication[];
  };
  readonly publishedDate?: string;
}

export interface DiskEncryptionSpec {
  readonly osDiskEncryptionSetId?: string;
  readonly dataDisks: readonly { readonly lun: number; readonly diskEncryptionSetId: string }[];
}

export interface TargetRegionSpec {
  readonly name: string;
  readonly replicas?: number;
  readonly storageAccountType?: StorageAccountType | string;
  readonly encryption?: DiskEncryptionSpec;
}

/** Where one disk of the version comes from. */
export type DiskSource =
  | { readonly kind: "snapshot"; readonly snapshotId: string }
  | { readonly kind: "blob"; readonly blobUri: string; readonly storageAccountId: string };

export interface ImageVersionSpec {
  readonly location: string;
  readonly targetRegions: readonly TargetRegionSpec[];
  readonly replicaCount: number;
  readonly storageAccountType: StorageAccountType;
  readonly replicationMode: ReplicationMode;
  readonly excludeFromLatest: boolean;
  /** ISO date-time */
  readonly endOfLifeDate?: string;
  readonly osDisk: DiskSource;
  readonly dataDisks: readonly { readonly lun: number; readonly source: DiskSource }[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface ManagedDiskInfo {
  readonly id: string;
  readonly location: string;
  readonly provisioningState?: ProvisioningState;
  readonly sourceUri?: string;
  readonly sourceResourceId?: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface ImportDiskSpec {
  readonly location: string;
  readonly blobUri: string;
  readonly storageAccountId: string;
  readonly osType?: OsType;
  readonly hyperVGeneration?: HyperVGeneration;
  readonly tags: Readonly<Record<string, string>>;
}

/** Everything the engine does to Microsoft.Compute, scoped to one subscription. */
export interface ComputeGateway {
  getGallery(resourceGroup: string, gallery: string): Promise<GalleryInfo | undefined>;
  createGallery(resourceGroup: string, gallery: string, location: string): Promise<GalleryInfo>;

  getImageDefinition(rg: string, gallery: string, image: string): Promise<ImageDefinitionInfo | undefined>;
  putImageDefinition(
    rg: string,
    gallery: string,
    image: string,
    spec: ImageDefinitionSpec,
  ): Promise<ImageDefinitionInfo>;

  listImageVersions(rg: string, gallery: string, image: string): Promise<ImageVersionInfo[]>;
  getImageVersion(
    rg: string,
    gallery: string,
    image: string,
    version: string,
    withReplication: boolean,
  ): Promise<ImageVersionInfo | undefined>;
  /** Sends the PUT and returns once Azure accepted it; the caller watches provisioning. */
  beginCreateImageVersion(
    rg: string,
    gallery: string,
    image: string,
    version: string,
    spec: ImageVersionSpec,
  ): Promise<void>;
  setExcludeFromLatest(
    rg: string,
    gallery: string,
    image: string,
    version: string,
    exclude: boolean,
  ): Promise<void>;
  deleteImageVersion(rg: string, gallery: string, image: string, version: string): Promise<void>;

  getDisk(rg: string, name: string): Promise<ManagedDiskInfo | undefined>;
  importDisk(rg: string, name: string, spec: ImportDiskSpec): Promise<ManagedDiskInfo>;
  deleteDisk(rg: string, name: string): Promise<void>;

  getSnapshot(rg: string, name: string): Promise<ManagedDiskInfo | undefined>;
  snapshotDisk(
    rg: string,
    name: string,
    spec: { location: string; diskId: string; tags: Readonly<Record<string, string>> },
  ): Promise<ManagedDiskInfo>;
  deleteSnapshot(rg: string, name: string): Promise<void>;
}

/** A lock held for the whole publish; release is idempotent. */
export interface HeldLock {
  release(): Promise<void>;
  /** Aborted when the lock was lost (renewal failed): the publish must stop. */
  readonly signal: AbortSignal;
}

export interface LockService {
  acquire(
    name: string,
    holder: string,
    options: { waitSeconds: number; signal?: AbortSignal },
  ): Promise<HeldLock>;
}

export interface UploadOutcome {
  readonly blobUrl: string;
  readonly digest: string;
  readonly totalBytes: number;
  readonly sentBytes: number;
  readonly skippedBytes: number;
  readonly seconds: number;
  /** True when the blob already held this digest and nothing was sent. */
  readonly reused: boolean;
  /** True when an interrupted upload was resumed. */
  readonly resumed: boolean;
}

/** Uploads one local disk image to `<container>/<blobPath>` as a page blob. */
export interface DiskUploader {
  upload(args: {
    readonly localPath: string;
    readonly blobPath: string;
    readonly label: string;
    readonly concurrency: number;
    readonly onProgress?: (progress: UploadProgress) => void;
    readonly signal?: AbortSignal;
  }): Promise<UploadOutcome>;
  deleteBlob(blobPath: string): Promise<void>;
}
