/**
 * GalleryReader on Azure: what exists for one manifest, read-only (safe in plan mode). Reads the
 * gallery, the image definition, its versions (with the digest sig-publish tagged them with), the
 * staging container and blobs of the candidate version, and the intermediate disks and snapshots.
 * Data-plane reads (the storage account) are optional: without a storage role the plan says
 * "could not be read" instead of failing.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { ResolvedManifest } from "../../core/manifest/model.ts";
import { intermediateNames } from "../../core/plan/names.ts";
import type { AzureFacts, ExistingBlob, ExistingIntermediate, GalleryReader } from "../../core/plan/types.ts";
import type { ComputeGateway } from "../../engine/ports.ts";
import { TAG } from "../../engine/specs.ts";

export interface AzureGalleryReaderOptions {
  readonly compute: ComputeGateway;
  /** The staging container; undefined when the data plane is not reachable. */
  readonly container?: ContainerClient;
  /** Interprets a staging blob's metadata (the uploader's format). */
  readonly blobStatus: (metadata: Readonly<Record<string, string>>) => { digest?: string; complete: boolean };
  readonly warn: (message: string) => void;
}

export class AzureGalleryReader implements GalleryReader {
  readonly #options: AzureGalleryReaderOptions;

  constructor(options: AzureGalleryReaderOptions) {
    this.#options = options;
  }

  /**
   * The engine reads twice: before choosing the version (gallery, definition, versions) and after
   * (plus that version's blobs and intermediates). The gallery part is read once per manifest.
   */
  readonly #galleryFacts = new WeakMap<ResolvedManifest, Promise<AzureFacts>>();

  async read(manifest: ResolvedManifest, options: { readonly version?: string } = {}): Promise<AzureFacts> {
    let pending = this.#galleryFacts.get(manifest);
    if (pending === undefined) {
      pending = this.#readGallery(manifest);
      this.#galleryFacts.set(manifest, pending);
    }
    const facts = await pending;
    if (options.version === undefined) return { ...facts, ...(await this.#readContainer()) };
    const names = intermediateNames(manifest, options.version);
    const blobNames = names.disks.map((d) => d.blobName);
    // The staging account is independent of the gallery: read it even when the gallery is missing.
    if (!facts.gallery.exists) return { ...facts, ...(await this.#readContainer(blobNames)) };
    const { compute } = this.#options;
    const existingDisks: ExistingIntermediate[] = [];
    const existingSnapshots: ExistingIntermediate[] = [];
    for (const disk of names.disks) {
      const d = await compute.getDisk(names.resourceGroup, disk.diskName);
      if (d !== undefined) existingDisks.push(intermediate(disk.diskName, d.provisioningState));
      const s = await compute.getSnapshot(names.resourceGroup, disk.snapshotName);
      if (s !== undefined) existingSnapshots.push(intermediate(disk.snapshotName, s.provisioningState));
    }
    const storage = await this.#readContainer(blobNames);
    return { ...facts, ...storage, existingDisks, existingSnapshots };
  }

  async #readGallery(manifest: ResolvedManifest): Promise<AzureFacts> {
    const { compute } = this.#options;
    const rg = manifest.gallery.resourceGroup;
    const gallery = await compute.getGallery(rg, manifest.gallery.name);
    if (gallery === undefined) return { gallery: { exists: false }, versions: [] };
    const definition = await compute.getImageDefinition(rg, manifest.gallery.name, manifest.image.name);
    const versions =
      definition === undefined
        ? []
        : await compute.listImageVersions(rg, manifest.gallery.name, manifest.image.name);
    return {
      gallery: { exists: true, location: gallery.location },
      imageDefinition:
        definition === undefined ? { exists: false } : { exists: true, properties: definition },
      versions: versions.map((v) => ({
        name: v.name,
        ...(v.tags[TAG.digest] === undefined ? {} : { digest: v.tags[TAG.digest] }),
        ...(v.provisioningState === undefined ? {} : { provisioningState: v.provisioningState }),
        ...(v.excludeFromLatest === undefined ? {} : { excludeFromLatest: v.excludeFromLatest }),
        ...(v.replication?.aggregatedState === undefined
          ? {}
          : { replicationState: v.replication.aggregatedState }),
      })),
    };
  }

  async #readContainer(
    blobNames: readonly string[] = [],
  ): Promise<{ stagingContainerExists?: boolean; existingBlobs?: ExistingBlob[] }> {
    const container = this.#options.container;
    if (container === undefined) return {};
    try {
      const exists = await container.exists();
      if (!exists) return { stagingContainerExists: false, existingBlobs: [] };
      const existingBlobs: ExistingBlob[] = [];
      for (const name of blobNames) {
        const blob = container.getBlobClient(name);
        if (!(await blob.exists())) continue;
        const props = await blob.getProperties();
        const status = this.#options.blobStatus(props.metadata ?? {});
        existingBlobs.push({
          path: name,
          complete: status.complete,
          ...(status.digest === undefined ? {} : { digest: status.digest }),
        });
      }
      return { stagingContainerExists: true, existingBlobs };
    } catch (error) {
      this.#options.warn(
        `Could not read the staging container ${container.containerName} (${error instanceof Error ? error.message : String(error)}); the plan shows its steps as unknown.`,
      );
      return {};
    }
  }
}

function intermediate(name: string, provisioningState: string | undefined): ExistingIntermediate {
  return provisioningState === undefined ? { name } : { name, provisioningState };
}
