/** Public types of the ARM Compute emulator (see index.ts for the overview). */

/** The resource types the emulator serves. */
export type ResourceType = "galleries" | "images" | "versions" | "disks" | "snapshots";

/** A storage account the emulator knows about (Azurite), with the Azure region it pretends to be in. */
export interface EmulatedStorageAccount {
  /** Azure region of the account, e.g. "westeurope". Disk import and blob-sourced versions must match it. */
  readonly region: string;
  /** Blob endpoint, e.g. http://127.0.0.1:41234/devstoreaccount1 (Azurite) */
  readonly blobEndpoint: string;
  /** Shared key the emulator uses to read blobs (properties and the 512-byte VHD footer). */
  readonly accountKey: string;
}

/** Scaled durations, in milliseconds of real time. */
export interface EmulatorTiming {
  /** Gallery create/update until Succeeded. Default 100. */
  readonly galleryMs: number;
  /** Image definition create/update. Default 100. */
  readonly imageMs: number;
  /** Image version: time before replication starts (source processing). Default 200. */
  readonly versionMs: number;
  /** Replication to the source region. Default 600. */
  readonly replicationMs: number;
  /** Added for each further target region, in order (the n-th extra region takes replicationMs + n * this). Default 200. */
  readonly replicationStepMs: number;
  /** Disk create (Import/Copy/Empty). Default 300. */
  readonly diskMs: number;
  /** Snapshot create. Default 200. */
  readonly snapshotMs: number;
  /** PUT/PATCH update of an existing resource (versions: regions added replicate on their own clock). Default 50. */
  readonly updateMs: number;
  /** DELETE until the resource is gone. Default 100. */
  readonly deleteMs: number;
  /** Value of the Retry-After header on LRO responses, in seconds. Default 1. */
  readonly retryAfterSeconds: number;
}

export interface ArmEmulatorOptions {
  /** Port on 127.0.0.1 (default: a free port). */
  readonly port?: number;
  /**
   * Folder with cert.pem/key.pem to serve (generated there if missing). Default: $SIG_PUBLISH_TEST_CA_DIR
   * (set by test/emulator/global-setup.ts), else a new temporary folder.
   */
  readonly certDir?: string;
  /**
   * Make this process trust the certificate with tls.setDefaultCACertificates when it was not started
   * with NODE_EXTRA_CA_CERTS pointing at it. Default true.
   */
  readonly trustInProcess?: boolean;
  /** JSON-lines traffic file (appended). Default: <$SIG_PUBLISH_TRAFFIC_DIR or a temp dir>/arm-<pid>-<n>.jsonl */
  readonly trafficFile?: string;
  /** Storage accounts by name (e.g. devstoreaccount1) for disk Import and blob-sourced versions. */
  readonly storageAccounts?: Readonly<Record<string, EmulatedStorageAccount>>;
  readonly timing?: Partial<EmulatorTiming>;
  /** Items per list page before a nextLink is returned. Default 50. */
  readonly pageSize?: number;
  /**
   * Send `Azure-AsyncOperation` (an operation-status URL served by the emulator, like Azure's
   * capsOperations / DiskOperations) next to `Location` on PUT/PATCH/DELETE, so the SDK's poller waits
   * for Succeeded/Failed (and throws on Failed) as it does against Azure. Those status polls match no
   * spec operation (validate with --allow-unmatched). With false, PUT/PATCH send only
   * `Location: <resource URL>` and the SDK's poller stops at the first 200 GET, which may still say
   * Creating. Default true.
   */
  readonly asyncOperationHeader?: boolean;
  /** Regions whose replication fails (same as faults.failReplicationIn). */
  readonly failReplicationIn?: readonly string[];
  /** Accepted region names (lower case, no spaces). Default: Azure public regions (KNOWN_REGIONS). */
  readonly regions?: readonly string[];
  /** When set, only this subscription exists (others: 404 SubscriptionNotFound). */
  readonly subscriptionId?: string;
  /** When set, only these resource groups exist (others: 404 ResourceGroupNotFound). Case-insensitive. */
  readonly resourceGroups?: readonly string[];
}

/** What a matching request gets instead of normal handling. */
export interface FaultResponse {
  readonly status: number;
  /** ARM error code; default by status (429 TooManyRequests, 500 InternalServerError, 503 ServiceUnavailable, …). */
  readonly code?: string;
  readonly message?: string;
  /** Sets Retry-After (seconds). */
  readonly retryAfterSeconds?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FaultRequestInfo {
  readonly method: string;
  /** Decoded path, e.g. /subscriptions/…/galleries/g/images/i/versions/1.0.0 */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/** A request-level fault. Exactly one of respond / dropConnection / delayMs should be given (delayMs may combine). */
export interface FaultRule {
  /** HTTP method to match (case-insensitive). Default: any. */
  readonly method?: string;
  /** Case-insensitive substring of the decoded path (query not included). Default: any. */
  readonly pathIncludes?: string;
  /** Extra predicate. */
  readonly match?: (request: FaultRequestInfo) => boolean;
  /** Number of matching requests the fault applies to. Default 1; use Infinity for "always". */
  readonly times?: number;
  /** Let this many matching requests through first. Default 0. */
  readonly skip?: number;
  /** Answer with this error instead of handling the request (nothing changes in the emulator). */
  readonly respond?: FaultResponse;
  /**
   * Destroy the socket without answering. "before": the request is not handled. "after": it is handled
   * (state changes, e.g. the resource gets created) but the client never sees the response.
   */
  readonly dropConnection?: "before" | "after";
  /** Wait this long before handling (latency). */
  readonly delayMs?: number;
}

export interface FaultHandle {
  /** How many more times the fault will fire. */
  remaining(): number;
  /** Number of times it fired. */
  hits(): number;
  remove(): void;
}

/** Operation-level faults for resources created (or updated) after the call. */
export interface SlowOperationFault {
  /** Resource type; default all. */
  readonly type?: ResourceType;
  /** Case-insensitive substring of the resource name. */
  readonly nameIncludes?: string;
  /** Extra time before the operation completes. */
  readonly extraMs: number;
  /** Number of operations to slow down; default Infinity. */
  readonly times?: number;
}

export interface FailProvisioningFault {
  readonly type: ResourceType;
  readonly nameIncludes?: string;
  /** Error reported by the operation status (and the resource ends in provisioningState Failed). */
  readonly code?: string;
  readonly message?: string;
  /** Default 1. */
  readonly times?: number;
}

/** One served (or dropped) request, for assertions. */
export interface EmulatorRequest {
  readonly seq: number;
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly requestBody: unknown;
  /** 0 when the connection was dropped before a response. */
  readonly status: number;
  readonly responseBody: unknown;
  /** ARM error code of an error response. */
  readonly errorCode?: string;
  /** Set when a fault rule decided the outcome. */
  readonly fault?: "respond" | "drop-before" | "drop-after" | "delay";
}

export interface RegionReplication {
  readonly region: string;
  readonly state: "Unknown" | "Replicating" | "Completed" | "Failed";
  readonly progress: number;
  readonly details?: string;
}

/** A resource as GET would return it (versions include replicationStatus), plus its lower-case id key. */
export type ResourceJson = Record<string, unknown> & {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location: string;
};
