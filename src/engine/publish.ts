/**
 * The publish pipeline (PRODUCT §4): lock → gallery → image definition → upload → managed disk →
 * snapshot → image version → replication → promote → cleanup → retention → unlock.
 *
 * Every step first looks for what a previous run left behind (deterministic names, digest tags)
 * and carries on from there, so a re-run after any failure resumes instead of starting over, and a
 * resource that exists but was made from a different VHD is a conflict, never an overwrite.
 */
import type { ResolvedManifest, StagingVia } from "../core/manifest/model.ts";
import { compareImageDefinition, describeChange } from "../core/plan/definition.ts";
import type { DiskNames, IntermediateNames } from "../core/plan/names.ts";
import { InputError } from "../core/problems.ts";
import { compareImageVersions, isImageVersion, parseImageVersion } from "../core/version/index.ts";
import { describeAzureError } from "../adapters/azure/errors.ts";
import type { Logger, RunContext, UploadProgress } from "./contract.ts";
import type {
  ComputeGateway,
  DiskSource,
  DiskUploader,
  ImageDefinitionInfo,
  ImageVersionInfo,
  LockService,
  ManagedDiskInfo,
  UploadOutcome,
} from "./ports.ts";
import { watchReplication, type ReplicationOutcome } from "./replication.ts";
import { definitionSpec, provenanceTags, TAG, versionSpec } from "./specs.ts";
import { formatBytes } from "../core/format.ts";

/** One local disk image to publish, with the deterministic names of what is made from it. */
export interface LocalDisk {
  readonly path: string;
  readonly names: DiskNames;
}

export interface PublishInput {
  readonly manifest: ResolvedManifest;
  readonly version: string;
  /** The OS disk's digest when already computed (it decided a resume): lets a re-run skip the upload. */
  readonly knownOsDigest?: string;
  readonly via: StagingVia;
  readonly disks: readonly LocalDisk[];
  /** Deterministic names (intermediateNames), so a re-run finds what an earlier run left. */
  readonly names: IntermediateNames;
  readonly storageAccountId: string;
  readonly compute: ComputeGateway;
  readonly uploader: DiskUploader;
  readonly locks: LockService;
  readonly ensureContainer: () => Promise<boolean>;
  readonly context: RunContext;
  readonly log: Logger;
  readonly waitForReplication: boolean;
  readonly timeoutMinutes: number;
  readonly uploadConcurrency: number;
  readonly lockWaitSeconds: number;
  readonly pollIntervalMs: number;
  readonly onUploadProgress?: (progress: UploadProgress) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

export interface StepTiming {
  readonly step: string;
  readonly seconds: number;
  readonly note: string;
}

export interface PublishReport {
  readonly version: string;
  readonly imageDefinitionId: string;
  readonly imageVersionId: string;
  readonly osDigest: string;
  readonly uploads: readonly { readonly label: string; readonly outcome: UploadOutcome }[];
  readonly replication: ReplicationOutcome;
  readonly promoted: boolean;
  readonly cleanedUp: readonly string[];
  readonly retentionDeleted: readonly string[];
  readonly timings: readonly StepTiming[];
  /** Notes worth showing in the summary (resumed steps, kept leftovers). */
  readonly notes: readonly string[];
}

export async function publishImage(input: PublishInput): Promise<PublishReport> {
  const { manifest, compute, log } = input;
  const rg = manifest.gallery.resourceGroup;
  const galleryName = manifest.gallery.name;
  const imageName = manifest.image.name;
  const timings: StepTiming[] = [];
  const notes: string[] = [];

  async function step<T>(name: string, work: () => Promise<{ value: T; note: string }>): Promise<T> {
    const started = performance.now();
    const { value, note } = await log.group(name, work);
    const seconds = (performance.now() - started) / 1000;
    timings.push({ step: name, seconds, note });
    log.info(`${name}: ${note} (${seconds.toFixed(1)} s)`);
    return value;
  }

  await step("staging container", async () => {
    const created = await input.ensureContainer();
    return { value: undefined, note: created ? "created (private)" : "exists" };
  });

  const holder =
    input.context.runUrl ?? `sig-publish on ${process.env["HOSTNAME"] ?? "a terminal"} (pid ${process.pid})`;
  const lock = await step("lock", async () => {
    const held = await input.locks.acquire(input.names.lockBlob, holder, {
      waitSeconds: input.lockWaitSeconds,
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    });
    return { value: held, note: `held ${input.names.lockBlob}` };
  });
  const signal = input.signal === undefined ? lock.signal : AbortSignal.any([input.signal, lock.signal]);

  try {
    await step("gallery", async () => {
      const gallery = await compute.getGallery(rg, galleryName);
      if (gallery !== undefined) return { value: undefined, note: `exists (${gallery.location})` };
      if (!manifest.gallery.create) {
        throw new InputError({
          code: "gallery.missing",
          message: `Gallery ${galleryName} does not exist in resource group ${rg}.`,
          fix: "Create it (az sig create), fix gallery.name/gallery.resourceGroup, or set gallery.create: true.",
          key: "gallery.name",
          location: { file: manifest.file },
        });
      }
      await compute.createGallery(rg, galleryName, manifest.gallery.location);
      return { value: undefined, note: "created" };
    });

    const definition = await step("image definition", async () => ensureDefinition(input));

    const existing = await compute.getImageVersion(rg, galleryName, imageName, input.version, false);
    // A version this VHD already made (a re-run after a failure or a timeout) needs no upload:
    // carry on with its replication. A Failed one is recreated from the (re-verified) blobs.
    const alreadyMade =
      existing !== undefined &&
      existing.provisioningState !== "Failed" &&
      input.knownOsDigest !== undefined &&
      sameDigest(existing.tags[TAG.digest], input.knownOsDigest);

    const uploads: { label: string; lun?: number; outcome: UploadOutcome }[] = [];
    for (const disk of alreadyMade ? [] : input.disks) {
      signal.throwIfAborted();
      const outcome = await step(`upload ${disk.names.key}`, async () => {
        const result = await input.uploader.upload({
          localPath: disk.path,
          blobPath: disk.names.blobName,
          label: disk.names.key,
          concurrency: input.uploadConcurrency,
          ...(input.onUploadProgress === undefined ? {} : { onProgress: input.onUploadProgress }),
          signal,
        });
        const how = result.reused
          ? "blob already holds this digest, nothing sent"
          : `${result.resumed ? "resumed, " : ""}sent ${formatBytes(result.sentBytes)}, skipped ${formatBytes(result.skippedBytes)} of zeros`;
        return { value: result, note: how };
      });
      uploads.push({
        label: disk.names.key,
        ...(disk.names.lun === undefined ? {} : { lun: disk.names.lun }),
        outcome,
      });
    }
    const osDigest = alreadyMade
      ? (input.knownOsDigest ?? "")
      : (uploads.find((u) => u.label === "os")?.outcome.digest ?? "");
    const digests = {
      os: osDigest,
      data: uploads.flatMap((u) => (u.lun === undefined ? [] : [{ lun: u.lun, digest: u.outcome.digest }])),
    };

    if (existing !== undefined && !sameDigest(existing.tags[TAG.digest], osDigest)) {
      throw new InputError({
        code: "version.conflict",
        message: `Image version ${input.version} already exists and was made from a different VHD (digest ${existing.tags[TAG.digest] ?? "not recorded"}, this VHD ${osDigest}).`,
        fix: "Publish a higher version (omit the version to bump), or delete the existing version first.",
      });
    }

    let version: ImageVersionInfo | undefined = existing;
    if (existing === undefined || existing.provisioningState === "Failed") {
      const sources = await step("sources", async () => buildSources(input, uploads, signal));
      if (existing?.provisioningState === "Failed") {
        await step("remove failed version", async () => {
          await compute.deleteImageVersion(rg, galleryName, imageName, input.version);
          return {
            value: undefined,
            note: `version ${input.version} had failed provisioning: deleted to recreate it`,
          };
        });
      }
      await step("image version", async () => {
        const tags = provenanceTags(manifest, input.context, digests);
        const spec = versionSpec(manifest, sources, tags, (input.now ?? (() => new Date()))());
        try {
          await compute.beginCreateImageVersion(rg, galleryName, imageName, input.version, spec);
        } catch (error) {
          throw new Error(describeAzureError(`creating image version ${input.version}`, error), {
            cause: error,
          });
        }
        return {
          value: undefined,
          note: `creating ${input.version} in ${spec.targetRegions.map((r) => r.name).join(", ")}`,
        };
      });
      version = await compute.getImageVersion(rg, galleryName, imageName, input.version, true);
    } else {
      notes.push(
        `Version ${input.version} already existed from this VHD (${existing.provisioningState ?? "state unknown"}): resumed.`,
      );
    }

    const targetRegions = manifest.version.targetRegions.map((r) => r.name);
    const replication = await step("replication", async () => {
      const read = (): Promise<ImageVersionInfo | undefined> =>
        compute.getImageVersion(rg, galleryName, imageName, input.version, true);
      const outcome = await watchReplication({
        read,
        targetRegions,
        timeoutMs: input.waitForReplication ? input.timeoutMinutes * 60_000 : 0,
        intervalMs: input.pollIntervalMs,
        log: (line) => log.info(line),
        signal,
      });
      return { value: outcome, note: outcome.problem ?? outcome.state };
    });

    let promoted = false;
    const promote = manifest.version.promote === "afterReplication" && !manifest.version.excludeFromLatest;
    if (promote && replication.state === "Completed") {
      const current = await compute.getImageVersion(rg, galleryName, imageName, input.version, false);
      if (current?.excludeFromLatest !== false) {
        await step("promote", async () => {
          await compute.setExcludeFromLatest(rg, galleryName, imageName, input.version, false);
          return { value: undefined, note: "every region completed: now eligible as latest" };
        });
      }
      promoted = true;
    } else if (promote) {
      notes.push(
        "Not promoted to latest: replication has not completed. A re-run (or `sig-publish publish`) promotes it.",
      );
    }

    const cleanedUp: string[] = [];
    if (manifest.staging.cleanup && replication.state === "Completed") {
      await step("cleanup", async () => {
        for (const disk of input.disks) {
          const snapshot = disk.names.snapshotName;
          const managedDisk = disk.names.diskName;
          if (input.via === "snapshot") {
            await compute.deleteSnapshot(input.names.resourceGroup, snapshot);
            await compute.deleteDisk(input.names.resourceGroup, managedDisk);
            cleanedUp.push(`snapshot ${snapshot}`, `disk ${managedDisk}`);
          }
          await input.uploader.deleteBlob(disk.names.blobName);
          cleanedUp.push(`blob ${disk.names.blobName}`);
        }
        return { value: undefined, note: `deleted ${cleanedUp.length} intermediates` };
      });
    } else if (manifest.staging.cleanup) {
      notes.push(
        "Intermediates (blob, disk, snapshot) kept because replication has not completed; a re-run cleans them up.",
      );
    }

    const retentionDeleted = await applyRetention(input, replication.state === "Completed", step);

    if (version === undefined) {
      version = await compute.getImageVersion(rg, galleryName, imageName, input.version, false);
    }
    return {
      version: input.version,
      imageDefinitionId: definition.id,
      imageVersionId: version?.id ?? `${definition.id}/versions/${input.version}`,
      osDigest,
      uploads,
      replication,
      promoted,
      cleanedUp,
      retentionDeleted,
      timings,
      notes,
    };
  } finally {
    await lock.release();
  }
}

function sameDigest(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

async function ensureDefinition(input: PublishInput): Promise<{ value: ImageDefinitionInfo; note: string }> {
  const { manifest, compute } = input;
  const rg = manifest.gallery.resourceGroup;
  const spec = definitionSpec(manifest);
  const current = await compute.getImageDefinition(rg, manifest.gallery.name, manifest.image.name);
  if (current === undefined) {
    const created = await compute.putImageDefinition(rg, manifest.gallery.name, manifest.image.name, spec);
    return { value: created, note: "created" };
  }
  // The same comparison the plan shows: immutable differences are a conflict, mutable ones an update.
  const comparison = compareImageDefinition(manifest.image, manifest.gallery.location, current);
  if (comparison.immutable.length > 0) {
    throw new InputError({
      code: "definition.immutable-conflict",
      message: `Image definition ${manifest.image.name} exists with properties Azure cannot change: ${comparison.immutable.map(describeChange).join("; ")}.`,
      fix: "Use a new image.name for the new properties, or change the manifest back to match the existing definition.",
      key: "image",
      location: { file: manifest.file },
    });
  }
  if (comparison.mutable.length === 0) return { value: current, note: "exists, unchanged" };
  const updated = await compute.putImageDefinition(rg, manifest.gallery.name, manifest.image.name, spec);
  return { value: updated, note: `updated ${comparison.mutable.map((c) => c.property).join(", ")}` };
}

async function buildSources(
  input: PublishInput,
  uploads: readonly { label: string; outcome: UploadOutcome }[],
  signal: AbortSignal,
): Promise<{ value: { os: DiskSource; data: { lun: number; source: DiskSource }[] }; note: string }> {
  const sourceFor = async (disk: LocalDisk, upload: UploadOutcome): Promise<DiskSource> => {
    if (input.via === "blob") {
      return { kind: "blob", blobUri: upload.blobUrl, storageAccountId: input.storageAccountId };
    }
    signal.throwIfAborted();
    const snapshot = await ensureSnapshot(input, disk, upload);
    return { kind: "snapshot", snapshotId: snapshot.id };
  };
  let os: DiskSource | undefined;
  const data: { lun: number; source: DiskSource }[] = [];
  for (const disk of input.disks) {
    const upload = uploads.find((u) => u.label === disk.names.key)?.outcome;
    if (upload === undefined) throw new Error(`internal: no upload for ${disk.names.key}`);
    const source = await sourceFor(disk, upload);
    if (disk.names.lun === undefined) os = source;
    else data.push({ lun: disk.names.lun, source });
  }
  if (os === undefined) throw new Error("internal: no OS disk");
  return {
    value: { os, data },
    note: input.via === "blob" ? "version straight from the blobs" : "managed disks and snapshots ready",
  };
}

async function ensureSnapshot(
  input: PublishInput,
  disk: LocalDisk,
  upload: UploadOutcome,
): Promise<ManagedDiskInfo> {
  const { compute, manifest } = input;
  // Intermediates live in the staging resource group, in the gallery's region.
  const rg = input.names.resourceGroup;
  const location = manifest.gallery.location;
  const diskName = disk.names.diskName;
  const snapshotName = disk.names.snapshotName;
  const tags = {
    [TAG.digest]: upload.digest,
    ...(input.context.runUrl === undefined ? {} : { [TAG.run]: input.context.runUrl }),
  };

  const snapshot = await compute.getSnapshot(rg, snapshotName);
  if (snapshot !== undefined && snapshot.provisioningState !== "Failed") {
    if (snapshot.tags[TAG.digest] !== upload.digest)
      throw leftoverConflict("snapshot", snapshotName, snapshot, upload.digest);
    input.log.info(`snapshot ${snapshotName} exists from this VHD: reused`);
    return snapshot;
  }

  let managedDisk = await compute.getDisk(rg, diskName);
  if (managedDisk !== undefined && managedDisk.provisioningState === "Failed") {
    await compute.deleteDisk(rg, diskName);
    managedDisk = undefined;
  }
  if (managedDisk !== undefined) {
    if (managedDisk.tags[TAG.digest] !== upload.digest)
      throw leftoverConflict("disk", diskName, managedDisk, upload.digest);
    input.log.info(`disk ${diskName} exists from this VHD: reused`);
  } else {
    try {
      managedDisk = await compute.importDisk(rg, diskName, {
        location,
        blobUri: upload.blobUrl,
        storageAccountId: input.storageAccountId,
        ...(disk.names.lun === undefined
          ? { osType: manifest.image.osType, hyperVGeneration: manifest.image.hyperVGeneration }
          : {}),
        tags,
      });
    } catch (error) {
      throw new Error(describeAzureError(`importing disk ${diskName} from ${upload.blobUrl}`, error), {
        cause: error,
      });
    }
  }
  if (snapshot !== undefined) await compute.deleteSnapshot(rg, snapshotName);
  try {
    return await compute.snapshotDisk(rg, snapshotName, { location, diskId: managedDisk.id, tags });
  } catch (error) {
    throw new Error(describeAzureError(`creating snapshot ${snapshotName}`, error), { cause: error });
  }
}

function leftoverConflict(kind: string, name: string, info: ManagedDiskInfo, digest: string): InputError {
  return new InputError({
    code: "staging.leftover-conflict",
    message: `A ${kind} named ${name} exists but was made from a different VHD (digest ${info.tags[TAG.digest] ?? "not recorded"}, this VHD ${digest}).`,
    fix: `Delete ${info.id} (it is an intermediate of an earlier publish of this version) and re-run.`,
  });
}

type StepRunner = <T>(name: string, work: () => Promise<{ value: T; note: string }>) => Promise<T>;

async function applyRetention(input: PublishInput, published: boolean, step: StepRunner): Promise<string[]> {
  const keep = input.manifest.retention?.keep;
  if (keep === undefined || !published) return [];
  return await step("retention", async () => {
    const { manifest, compute } = input;
    const versions = await compute.listImageVersions(
      manifest.gallery.resourceGroup,
      manifest.gallery.name,
      manifest.image.name,
    );
    // Newest first by version order; names that are not MAJOR.MINOR.PATCH are never touched.
    const ordered = versions
      .filter((v) => isImageVersion(v.name))
      .sort((a, b) => compareImageVersions(parseImageVersion(b.name), parseImageVersion(a.name)));
    const names = ordered
      .slice(keep)
      .map((v) => v.name)
      .filter((name) => name !== input.version);
    for (const name of names) {
      await compute.deleteImageVersion(
        manifest.gallery.resourceGroup,
        manifest.gallery.name,
        manifest.image.name,
        name,
      );
    }
    return {
      value: names,
      note: names.length === 0 ? `keeping all (≤ ${keep})` : `deleted ${names.join(", ")}`,
    };
  });
}
