/**
 * ComputeGateway on the real @azure/arm-compute client. Every long-running operation runs under
 * a deadline and the caller's AbortSignal, so no SDK poller can block forever; image version
 * creation only waits for Azure to accept the PUT, and the engine watches provisioning and
 * replication itself.
 */
import { ComputeManagementClient } from "@azure/arm-compute";
import type {
  Disk,
  GalleryImage,
  GalleryImageVersion,
  GalleryDiskImageSource,
  Snapshot,
  TargetRegion,
} from "@azure/arm-compute";
import type { TokenCredential } from "@azure/core-auth";
import type {
  ComputeGateway,
  DiskSource,
  GalleryInfo,
  ImageDefinitionInfo,
  ImageDefinitionSpec,
  ImageVersionInfo,
  ImageVersionSpec,
  ImportDiskSpec,
  ManagedDiskInfo,
  TargetRegionSpec,
} from "../../engine/ports.ts";
import { isNotFound } from "./errors.ts";

export const PUBLIC_ARM_ENDPOINT = "https://management.azure.com";

export interface ComputeGatewayOptions {
  readonly credential: TokenCredential;
  readonly subscriptionId: string;
  readonly armEndpoint?: string;
  /** Deadline for one long-running operation (gallery, definition, disk, snapshot, delete). */
  readonly operationTimeoutMs?: number;
  /** Poll interval when Azure sends no Retry-After. */
  readonly pollIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export function createComputeClient(options: ComputeGatewayOptions): ComputeManagementClient {
  const endpoint = options.armEndpoint ?? PUBLIC_ARM_ENDPOINT;
  return new ComputeManagementClient(options.credential, options.subscriptionId, {
    endpoint,
    credentials: { scopes: [armScope(endpoint)] },
    retryOptions: { maxRetries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 },
    userAgentOptions: { userAgentPrefix: "sig-publish" },
  });
}

/** The token audience for an ARM endpoint: public, sovereign clouds, or a local emulator. */
export function armScope(endpoint: string): string {
  const url = new URL(endpoint);
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (loopback) return `${PUBLIC_ARM_ENDPOINT}/.default`;
  return `${url.origin}/.default`;
}

export class ArmComputeGateway implements ComputeGateway {
  readonly #client: ComputeManagementClient;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(options: ComputeGatewayOptions) {
    this.#client = createComputeClient(options);
    this.#timeoutMs = options.operationTimeoutMs ?? 60 * 60_000;
    this.#pollMs = options.pollIntervalMs ?? 5_000;
    this.#signal = options.signal;
  }

  /** Options for one long-running operation: caller's signal plus a deadline. */
  #lro(): { abortSignal: AbortSignal; updateIntervalInMs: number } {
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const abortSignal = this.#signal === undefined ? deadline : AbortSignal.any([this.#signal, deadline]);
    return { abortSignal, updateIntervalInMs: this.#pollMs };
  }

  #plain(): { abortSignal?: AbortSignal } {
    return this.#signal === undefined ? {} : { abortSignal: this.#signal };
  }

  async getGallery(rg: string, gallery: string): Promise<GalleryInfo | undefined> {
    try {
      const g = await this.#client.galleries.get(rg, gallery, this.#plain());
      return { id: g.id ?? "", location: g.location, ...optional("provisioningState", g.provisioningState) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async createGallery(rg: string, gallery: string, location: string): Promise<GalleryInfo> {
    const g = await this.#client.galleries.createOrUpdate(
      rg,
      gallery,
      { location, description: "Created by sig-publish" },
      this.#lro(),
    );
    return { id: g.id ?? "", location: g.location, ...optional("provisioningState", g.provisioningState) };
  }

  async getImageDefinition(
    rg: string,
    gallery: string,
    image: string,
  ): Promise<ImageDefinitionInfo | undefined> {
    try {
      return toDefinitionInfo(await this.#client.galleryImages.get(rg, gallery, image, this.#plain()));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async putImageDefinition(
    rg: string,
    gallery: string,
    image: string,
    spec: ImageDefinitionSpec,
  ): Promise<ImageDefinitionInfo> {
    const body: GalleryImage = {
      location: spec.location,
      tags: { ...spec.tags },
      osType: spec.osType,
      osState: spec.osState,
      hyperVGeneration: spec.hyperVGeneration,
      architecture: spec.architecture,
      identifier: { publisher: spec.publisher, offer: spec.offer, sku: spec.sku },
      features: Object.entries(spec.features).map(([name, value]) => ({ name, value })),
      disallowed: { diskTypes: [...spec.disallowedDiskTypes] },
      ...optional("description", spec.description),
      ...optional("eula", spec.eula),
      ...optional("privacyStatementUri", spec.privacyStatementUri),
      ...optional("releaseNoteUri", spec.releaseNoteUri),
      ...optional(
        "endOfLifeDate",
        spec.endOfLifeDate === undefined ? undefined : new Date(spec.endOfLifeDate),
      ),
      ...optional("recommended", spec.recommended),
      ...optional("purchasePlan", spec.purchasePlan),
    };
    return toDefinitionInfo(
      await this.#client.galleryImages.createOrUpdate(rg, gallery, image, body, this.#lro()),
    );
  }

  async listImageVersions(rg: string, gallery: string, image: string): Promise<ImageVersionInfo[]> {
    const versions: ImageVersionInfo[] = [];
    try {
      for await (const v of this.#client.galleryImageVersions.listByGalleryImage(
        rg,
        gallery,
        image,
        this.#plain(),
      )) {
        versions.push(toVersionInfo(v));
      }
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return versions;
  }

  async getImageVersion(
    rg: string,
    gallery: string,
    image: string,
    version: string,
    withReplication: boolean,
  ): Promise<ImageVersionInfo | undefined> {
    try {
      const v = await this.#client.galleryImageVersions.get(rg, gallery, image, version, {
        ...this.#plain(),
        ...(withReplication ? { expand: "ReplicationStatus" } : {}),
      });
      return toVersionInfo(v);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async beginCreateImageVersion(
    rg: string,
    gallery: string,
    image: string,
    version: string,
    spec: ImageVersionSpec,
  ): Promise<void> {
    const body: GalleryImageVersion = {
      location: spec.location,
      tags: { ...spec.tags },
      publishingProfile: {
        targetRegions: spec.targetRegions.map(toTargetRegion),
        replicaCount: spec.replicaCount,
        storageAccountType: spec.storageAccountType,
        replicationMode: spec.replicationMode,
        excludeFromLatest: spec.excludeFromLatest,
        ...optional(
          "endOfLifeDate",
          spec.endOfLifeDate === undefined ? undefined : new Date(spec.endOfLifeDate),
        ),
      },
      storageProfile: {
        osDiskImage: { source: toDiskImageSource(spec.osDisk) },
        ...(spec.dataDisks.length === 0
          ? {}
          : {
              dataDiskImages: spec.dataDisks.map((d) => ({
                lun: d.lun,
                source: toDiskImageSource(d.source),
              })),
            }),
      },
    };
    const poller = this.#client.galleryImageVersions.createOrUpdate(
      rg,
      gallery,
      image,
      version,
      body,
      this.#lro(),
    );
    // Only wait until Azure accepted the request: provisioning and replication are watched by the
    // engine with its own timeout and progress log. Abandon the SDK's poller.
    await poller.submitted();
  }

  async setExcludeFromLatest(
    rg: string,
    gallery: string,
    image: string,
    version: string,
    exclude: boolean,
  ): Promise<void> {
    // The API requires storageProfile on every update (GalleryImageVersionUpdate): send it back
    // unchanged next to the one property that changes.
    const current = await this.#client.galleryImageVersions.get(rg, gallery, image, version, this.#plain());
    await this.#client.galleryImageVersions.update(
      rg,
      gallery,
      image,
      version,
      {
        publishingProfile: { excludeFromLatest: exclude },
        storageProfile: current.storageProfile ?? {},
      },
      this.#lro(),
    );
  }

  async deleteImageVersion(rg: string, gallery: string, image: string, version: string): Promise<void> {
    try {
      await this.#client.galleryImageVersions.delete(rg, gallery, image, version, this.#lro());
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async getDisk(rg: string, name: string): Promise<ManagedDiskInfo | undefined> {
    try {
      return toManagedDiskInfo(await this.#client.disks.get(rg, name, this.#plain()));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async importDisk(rg: string, name: string, spec: ImportDiskSpec): Promise<ManagedDiskInfo> {
    const body: Disk = {
      location: spec.location,
      tags: { ...spec.tags },
      sku: { name: "Standard_LRS" },
      creationData: {
        createOption: "Import",
        sourceUri: spec.blobUri,
        storageAccountId: spec.storageAccountId,
      },
      ...optional("osType", spec.osType),
      ...optional("hyperVGeneration", spec.hyperVGeneration),
    };
    return toManagedDiskInfo(await this.#client.disks.createOrUpdate(rg, name, body, this.#lro()));
  }

  async deleteDisk(rg: string, name: string): Promise<void> {
    try {
      await this.#client.disks.delete(rg, name, this.#lro());
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async getSnapshot(rg: string, name: string): Promise<ManagedDiskInfo | undefined> {
    try {
      return toManagedDiskInfo(await this.#client.snapshots.get(rg, name, this.#plain()));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async snapshotDisk(
    rg: string,
    name: string,
    spec: { location: string; diskId: string; tags: Readonly<Record<string, string>> },
  ): Promise<ManagedDiskInfo> {
    const body: Snapshot = {
      location: spec.location,
      tags: { ...spec.tags },
      sku: { name: "Standard_LRS" },
      incremental: false,
      creationData: { createOption: "Copy", sourceResourceId: spec.diskId },
    };
    return toManagedDiskInfo(await this.#client.snapshots.createOrUpdate(rg, name, body, this.#lro()));
  }

  async deleteSnapshot(rg: string, name: string): Promise<void> {
    try {
      await this.#client.snapshots.delete(rg, name, this.#lro());
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** `{ [key]: value }` when value is defined, else `{}`: keeps undefined out of request bodies. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function toTargetRegion(region: TargetRegionSpec): TargetRegion {
  const encryption = region.encryption;
  return {
    name: region.name,
    ...optional("regionalReplicaCount", region.replicas),
    ...optional("storageAccountType", region.storageAccountType),
    ...(encryption === undefined
      ? {}
      : {
          encryption: {
            ...(encryption.osDiskEncryptionSetId === undefined
              ? {}
              : { osDiskImage: { diskEncryptionSetId: encryption.osDiskEncryptionSetId } }),
            ...(encryption.dataDisks.length === 0
              ? {}
              : {
                  dataDiskImages: encryption.dataDisks.map((d) => ({
                    lun: d.lun,
                    diskEncryptionSetId: d.diskEncryptionSetId,
                  })),
                }),
          },
        }),
  };
}

function toDiskImageSource(source: DiskSource): GalleryDiskImageSource {
  return source.kind === "snapshot"
    ? { id: source.snapshotId }
    : { uri: source.blobUri, storageAccountId: source.storageAccountId };
}

function toDefinitionInfo(image: GalleryImage): ImageDefinitionInfo {
  const features: Record<string, string> = {};
  for (const f of image.features ?? []) if (f.name !== undefined) features[f.name] = f.value ?? "";
  return {
    id: image.id ?? "",
    location: image.location,
    features,
    disallowedDiskTypes: image.disallowed?.diskTypes ?? [],
    tags: image.tags ?? {},
    ...optional("provisioningState", image.provisioningState),
    ...optional("osType", image.osType),
    ...optional("osState", image.osState),
    ...optional("hyperVGeneration", image.hyperVGeneration),
    ...optional("architecture", image.architecture),
    ...optional("publisher", image.identifier?.publisher),
    ...optional("offer", image.identifier?.offer),
    ...optional("sku", image.identifier?.sku),
    ...optional("description", image.description),
    ...optional("eula", image.eula),
    ...optional("privacyStatementUri", image.privacyStatementUri),
    ...optional("releaseNoteUri", image.releaseNoteUri),
    ...optional("endOfLifeDate", image.endOfLifeDate?.toISOString()),
    ...optional("recommended", image.recommended),
    ...optional("purchasePlan", image.purchasePlan),
  };
}

function sourceOf(source: GalleryDiskImageSource | undefined): string | undefined {
  return source?.id ?? source?.uri;
}

function toVersionInfo(v: GalleryImageVersion): ImageVersionInfo {
  const sources: Record<string, string> = {};
  const os = sourceOf(v.storageProfile?.osDiskImage?.source) ?? v.storageProfile?.source?.id;
  if (os !== undefined) sources["os"] = os;
  for (const d of v.storageProfile?.dataDiskImages ?? []) {
    const s = sourceOf(d.source);
    if (s !== undefined) sources[`lun-${d.lun}`] = s;
  }
  const profile = v.publishingProfile;
  return {
    id: v.id ?? "",
    name: v.name ?? "",
    location: v.location,
    tags: v.tags ?? {},
    sources,
    targetRegions: (profile?.targetRegions ?? []).map((r) => ({
      name: r.name,
      ...optional("replicas", r.regionalReplicaCount),
      ...optional("storageAccountType", r.storageAccountType),
    })),
    ...optional("provisioningState", v.provisioningState),
    ...optional("excludeFromLatest", profile?.excludeFromLatest),
    ...optional("publishedDate", profile?.publishedDate?.toISOString()),
    ...(v.replicationStatus === undefined
      ? {}
      : {
          replication: {
            ...optional("aggregatedState", v.replicationStatus.aggregatedState),
            regions: (v.replicationStatus.summary ?? []).map((s) => ({
              region: s.region ?? "",
              state: s.state ?? "Unknown",
              ...optional("progress", s.progress),
              ...optional("details", s.details),
            })),
          },
        }),
  };
}

function toManagedDiskInfo(d: Disk | Snapshot): ManagedDiskInfo {
  return {
    id: d.id ?? "",
    location: d.location,
    tags: d.tags ?? {},
    ...optional("provisioningState", d.provisioningState),
    ...optional("sourceUri", d.creationData?.sourceUri),
    ...optional("sourceResourceId", d.creationData?.sourceResourceId),
  };
}
