/**
 * The resolved image manifest: what the loader hands to the rest of the program after the YAML
 * was validated against the schema, defaults were applied, regions were normalised and the
 * `region=replicas=type` shorthand was expanded. Everything downstream (version rules, plan,
 * engine) reads this shape, never raw YAML.
 */

export type OsType = "Linux" | "Windows";
export type OsState = "Generalized" | "Specialized";
export type HyperVGeneration = "V1" | "V2";
export type Architecture = "x64" | "Arm64";
export type SecurityType =
  | "Standard"
  | "TrustedLaunch"
  | "TrustedLaunchSupported"
  | "ConfidentialVM"
  | "ConfidentialVMSupported"
  | "TrustedLaunchAndConfidentialVmSupported";
export type Bump = "patch" | "minor" | "major";
export type ReplicationMode = "Full" | "Shallow";
export type StorageAccountType = "Standard_LRS" | "Standard_ZRS" | "Premium_LRS";
export type Promote = "immediate" | "afterReplication";
export type StagingVia = "snapshot" | "blob";

export interface ResolvedGallery {
  /** From the manifest; the action input / AZURE_SUBSCRIPTION_ID fill it in when absent. */
  readonly subscription?: string;
  readonly resourceGroup: string;
  readonly name: string;
  /** Normalised region name (e.g. `westeurope`): disk, snapshot and version are created here. */
  readonly location: string;
  readonly create: boolean;
}

export interface Range {
  readonly min?: number;
  readonly max?: number;
}

export interface PurchasePlan {
  readonly publisher: string;
  readonly name: string;
  readonly product: string;
}

export interface ResolvedImageDefinition {
  readonly name: string;
  readonly publisher: string;
  readonly offer: string;
  readonly sku: string;
  readonly osType: OsType;
  readonly osState: OsState;
  readonly hyperVGeneration: HyperVGeneration;
  readonly architecture: Architecture;
  readonly securityType?: SecurityType;
  /** Gallery image features other than SecurityType, as name → value strings. */
  readonly features: Readonly<Record<string, string>>;
  readonly description?: string;
  readonly eula?: string;
  readonly privacyStatementUri?: string;
  readonly releaseNoteUri?: string;
  /** ISO date (YYYY-MM-DD) */
  readonly endOfLifeDate?: string;
  readonly recommended?: { readonly vCPUs?: Range; readonly memory?: Range };
  readonly disallowedDiskTypes: readonly string[];
  readonly purchasePlan?: PurchasePlan;
  readonly tags: Readonly<Record<string, string>>;
}

export interface DiskEncryption {
  readonly osDiskEncryptionSetId?: string;
  readonly dataDisks: readonly { readonly lun: number; readonly diskEncryptionSetId: string }[];
}

export interface ResolvedTargetRegion {
  /** Normalised region name, e.g. `eastus`. */
  readonly name: string;
  readonly replicas: number;
  readonly storageAccountType: StorageAccountType;
  readonly encryption?: DiskEncryption;
}

/** End of life: a fixed date, or a number of days after publishing (`P180D`). */
export type EndOfLife =
  { readonly kind: "date"; readonly date: string } | { readonly kind: "afterPublish"; readonly days: number };

export interface ResolvedVersionPolicy {
  /** The version line, `MAJOR.MINOR.PATCH`. */
  readonly number?: string;
  readonly bump: Bump;
  readonly excludeFromLatest: boolean;
  readonly endOfLife?: EndOfLife;
  readonly replicationMode: ReplicationMode;
  readonly replicaCount: number;
  readonly storageAccountType: StorageAccountType;
  /** Always contains the gallery's location (added first when the manifest omits it). */
  readonly targetRegions: readonly ResolvedTargetRegion[];
  readonly promote: Promote;
}

export interface ResolvedDisks {
  /** Path relative to the repository; the `vhd` input overrides it. */
  readonly os?: string;
  readonly data: readonly { readonly lun: number; readonly path: string }[];
}

export interface ResolvedStaging {
  readonly storageAccount: string;
  readonly resourceGroup: string;
  readonly container: string;
  readonly via: StagingVia;
  readonly cleanup: boolean;
}

export interface ResolvedManifest {
  /** The manifest file as given (relative to the workspace where possible): for messages. */
  readonly file: string;
  readonly gallery: ResolvedGallery;
  readonly image: ResolvedImageDefinition;
  readonly version: ResolvedVersionPolicy;
  readonly disks: ResolvedDisks;
  readonly staging: ResolvedStaging;
  readonly retention?: { readonly keep: number };
}
