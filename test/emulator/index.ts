/**
 * ARM Compute emulator — a local stand-in for management.azure.com serving the Compute Gallery
 * (galleries, image definitions, image versions) and managed disk / snapshot APIs, for tests and
 * `npm run demo`. Runs under vitest and under plain Node 24 (no vitest imports).
 *
 * START
 *   const arm = await startArmEmulator({
 *     storageAccounts: { devstoreaccount1: { region: "westeurope", blobEndpoint, accountKey } },
 *     timing: { replicationMs: 600 },          // scaled durations (ms), see EmulatorTiming
 *   });
 *   const client = new ComputeManagementClient(
 *     { getToken: async () => ({ token: "x", expiresOnTimestamp: Date.now() + 3600e3 }) },
 *     subscriptionId, { endpoint: arm.endpoint });
 *   ...
 *   await arm.stop();
 *
 *   - HTTPS on 127.0.0.1 (free port) with a self-signed certificate (cert.pem/key.pem) taken from
 *     `certDir`, else $SIG_PUBLISH_TEST_CA_DIR (set by test/emulator/global-setup.ts), else
 *     generated into a temp folder. `arm.caCertPath` is what a child process needs as
 *     NODE_EXTRA_CA_CERTS; the current process is made to trust it with tls.setDefaultCACertificates
 *     unless it already trusts it at startup (opt out: trustInProcess: false).
 *   - Any `Authorization: Bearer <anything>` is accepted; a missing header gets 401 AuthenticationFailed.
 *   - api-versions: 2025-12-03 for galleries/images/versions, 2026-03-02 for disks/snapshots
 *     (what @azure/arm-compute 25.1.1 sends); anything else: 400 NoRegisteredProviderFound.
 *
 * LONG-RUNNING OPERATIONS
 *   PUT create → 201 (gallery resources) / 202 (disks, snapshots), body with provisioningState
 *   Creating, `Location: <resource URL>?api-version=…`, `Azure-AsyncOperation: <status URL>` and
 *   `Retry-After: <timing.retryAfterSeconds>`. PUT on an existing resource and PATCH → 200 with
 *   provisioningState Updating (same headers). DELETE → 202 with `Location` (and
 *   `Azure-AsyncOperation`) = the status URL; DELETE of a missing resource → 204. The resource reads
 *   as Deleting until it disappears (then 404 ResourceNotFound).
 *   Status URL: /subscriptions/<sub>/providers/Microsoft.Compute/locations/<region>/
 *   {capsOperations|DiskOperations}/<id> → 202 {status:"InProgress"} (+Location, Retry-After) while
 *   running, then 200 {status:"Succeeded"|"Failed", error?}. So the SDK's pollers wait for the
 *   final state and throw on Failed, as against Azure. These status polls match no spec operation:
 *   validate with --allow-unmatched (test/harness/traffic.ts checks that only they are skipped).
 *   With `asyncOperationHeader: false`, PUT/PATCH send only Location (resource URL): every PUT-side
 *   exchange then matches the specs, but the SDK's poller stops at the first 200 GET, which may
 *   still say Creating — check provisioningState yourself.
 *   Image versions stay Creating until every target region finished replicating; Succeeded if all
 *   Completed, Failed if any region Failed. `GET …?$expand=ReplicationStatus` returns
 *   replicationStatus { aggregatedState: Unknown|InProgress|Completed|Failed,
 *   summary: [{ region, state: Unknown|Replicating|Completed|Failed, details?, progress }] }.
 *   Lists page with `nextLink` (…&%24skiptoken=N) after `pageSize` items (default 50).
 *
 * RULES (status, code)
 *   401 AuthenticationFailed  missing/invalid Authorization header
 *   400 MissingApiVersionParameter / NoRegisteredProviderFound  missing / other api-version
 *   400 InvalidRequestContent  body is not JSON
 *   400 LocationRequired / LocationNotAvailableForResourceType  missing / unknown region
 *   400 InvalidParameter  gallery name (letters, digits, _ and ., no dashes), image name, disk/snapshot
 *       name, version name not MAJOR.MINOR.PATCH with int32 parts; image: osType/osState/identifier
 *       missing or bad enum; SecurityType other than Standard (and Arm64) without hyperVGeneration V2;
 *       image/version location differs from the gallery's/definition's; version: targetRegions
 *       without the source region, unknown or duplicate region, replicas outside 1–100, Shallow with
 *       more than 1 replica, unknown storageAccountType, bad endOfLifeDate, missing storageProfile /
 *       osDiskImage.source, duplicate or out-of-range lun, source both id and uri; TrustedLaunch /
 *       TrustedLaunchSupported definitions from a snapshot/disk source (blob only), ConfidentialVM /
 *       ConfidentialVMSupported from a blob (snapshot/disk only); source snapshot/disk in another
 *       region; disk/snapshot: createOption other than Import/Copy/(Empty for disks), missing
 *       sourceUri/storageAccountId/sourceResourceId, bad sku; blob not in the named account, account
 *       in another region than the disk/version, blob missing, not a page blob
 *   400 BadRequest  blob is not a valid fixed VHD (cookie `conectix`, disk type 2, checksum,
 *       current size = length - 512, a multiple of 1 MiB, 1 MiB..32 TiB)
 *   404 StorageAccountNotFound  storageAccountId names an account the emulator does not know
 *   404 ParentResourceNotFound  image under a missing gallery, version under a missing definition
 *   404 ResourceNotFound  GET/PATCH of a missing resource; 404 NotFound  missing source snapshot/disk
 *   404 SubscriptionNotFound / ResourceGroupNotFound  only when `subscriptionId` / `resourceGroups` set
 *   409 PropertyChangeNotAllowed  version: storageProfile (any source), storageAccountType,
 *       replicationMode; definition: osType, osState, hyperVGeneration, architecture,
 *       identifier publisher/offer/sku, purchasePlan, SecurityType feature, other features unless
 *       allowUpdateImage; disk/snapshot: creationData
 *   409 Conflict  definition identifier already used in the gallery; write to a resource being deleted
 *   409 OperationNotAllowed  write while the resource is Creating/Updating; source not Succeeded yet
 *   409 InvalidResourceLocation  PUT of an existing resource with another location
 *
 * FAULTS (arm.faults, an EmulatorFaults)
 *   add({ method?, pathIncludes?, match?, times?=1, skip?=0, respond?: { status, code?, message?,
 *        retryAfterSeconds?, headers? }, dropConnection?: "before"|"after", delayMs? }) → FaultHandle
 *   failReplicationIn(regions, details?)     also the start option `failReplicationIn`
 *   slowOperations({ type?, nameIncludes?, extraMs, times?=Infinity })
 *   failProvisioning({ type, nameIncludes?, code?, message?, times?=1 })  → provisioningState Failed
 *   clear()
 *
 * STATE (arm.state) — resources as GET returns them: galleries(), images(), versions() (with
 *   replicationStatus), disks(), snapshots(), get(id), replication(versionId).
 * REQUESTS (arm.requests) — every request served or dropped: { seq, at, method, path, query,
 *   requestBody, status (0 = dropped), responseBody, errorCode?, fault? }; clearRequests().
 * TRAFFIC — every exchange is appended to `arm.trafficFile` as a JSON line
 *   {request:{method,url,headers,body},response:{statusCode,headers,body}} (Authorization redacted),
 *   the format ../shared/azure-specs/validate-traffic.mjs reads (see test/harness/traffic.ts).
 *   Default file: $SIG_PUBLISH_TRAFFIC_DIR/arm-<pid>-<n>-<rand>.jsonl (kept), else a temp folder
 *   removed by stop() (keep it with SIG_PUBLISH_KEEP_TRAFFIC=1).
 */
export { startArmEmulator, DEFAULT_TIMING, GALLERY_API_VERSION, DISK_API_VERSION } from "./server.ts";
export type { ArmEmulator, EmulatorState } from "./server.ts";
export { EmulatorFaults } from "./faults.ts";
export { ensureTlsMaterial, trustCertificateInProcess, CA_DIR_ENV } from "./cert.ts";
export { KNOWN_REGIONS } from "./regions.ts";
export type * from "./types.ts";
