/**
 * runEngine: the one pipeline behind the action and the CLI.
 *
 *   manifest → local disks (validated) → Azure facts (read-only) → version → plan
 *     plan mode:    return the plan (never writes)
 *     publish mode: execute it (publish.ts)
 *     status mode:  read a version's replication status
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadManifestFile, updateManifestVersion } from "../core/manifest/index.ts";
import type { ResolvedManifest } from "../core/manifest/model.ts";
import { buildPlan, decideVersion, intermediateNames, manifestDisks } from "../core/plan/index.ts";
import { capMarkdown, escapeMarkdown, planToObject, renderPlanMarkdown } from "../core/plan/render.ts";
import type { AzureFacts, LocalDiskFacts, VersionDecision } from "../core/plan/types.ts";
import { InputError, type Problem } from "../core/problems.ts";
import { compareImageVersions, isImageVersion, parseImageVersion } from "../core/version/index.ts";
import { digestVhd, inspectVhd, VhdError, type VhdFacts } from "../core/vhd/index.ts";
import { ArmComputeGateway } from "../adapters/azure/compute.ts";
import { StagingDiskUploader, stagedBlobStatus } from "../adapters/azure/disk-uploader.ts";
import { AzureGalleryReader } from "../adapters/azure/gallery-reader.ts";
import { BlobLeaseLock } from "../adapters/azure/lock.ts";
import { ensurePrivateContainer, stagingContainer, storageAccountId } from "../adapters/azure/storage.ts";
import type { AzureAccess, EngineRequest, EngineResult, ReplicationState } from "./contract.ts";
import type { ComputeGateway } from "./ports.ts";
import { publishImage, type LocalDisk } from "./publish.ts";
import { assessReplication } from "./replication.ts";
import { TAG } from "./specs.ts";
import { renderPublishSummary } from "./summary.ts";

/** Advanced knobs (tests and the demo use them to run at emulator speed). */
function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 && process.env[name] !== "" ? value : fallback;
}

interface DiskOnDisk {
  readonly role: "os" | "data";
  readonly lun?: number;
  /** Absolute path */
  readonly path: string;
  /** As given, for messages */
  readonly shown: string;
}

export async function runEngine(request: EngineRequest): Promise<EngineResult> {
  const { log } = request;
  const manifest = await loadManifestFile(request.manifestPath, { workspace: request.workspace });
  log.info(`manifest ${manifest.file}: image ${manifest.image.name} in gallery ${manifest.gallery.name}`);

  if (request.mode === "status") return await runStatus(request, manifest);
  const disks = localDisks(manifest, request);

  const diskFacts = await inspectDisks(disks, request.mode === "plan", log.warning.bind(log));
  const azure = request.azure === undefined ? undefined : connect(request.azure, manifest, request);
  if (azure === undefined) log.info("No Azure credentials: planning without reading the gallery.");

  let facts: AzureFacts | undefined = azure === undefined ? undefined : await azure.reader.read(manifest);
  const osDisk = diskFacts.find((d) => d.role === "os");
  let decision = decide(request, manifest, facts, undefined);
  let osDigest: string | undefined;
  if (!isBlocked(decision) && decision.needsDigestToDecide === true && osDisk !== undefined) {
    log.info(
      "An existing version carries a VHD digest: computing this VHD's digest to tell a resume from a new version…",
    );
    osDigest = (
      await digestVhd(osDisk.absolutePath, request.signal === undefined ? {} : { signal: request.signal })
    ).digest;
    decision = decide(request, manifest, facts, osDigest);
  }
  const version = isBlocked(decision) ? decision.requested : decision.version;
  if (azure !== undefined) facts = await azure.reader.read(manifest, { version });

  const plan = buildPlan({
    manifest,
    version: decision,
    azure: facts,
    disks: diskFacts.map(({ absolutePath: _, ...d }) =>
      osDigest !== undefined && d.role === "os" ? { ...d, digest: osDigest } : d,
    ),
    mode: request.mode === "plan" ? "plan" : "publish",
    waitForReplication: request.waitForReplication,
    now: new Date(),
  });
  for (const warning of plan.warnings) log.warning(warning);

  if (request.mode === "plan") {
    return {
      mode: "plan",
      version: plan.version.value,
      versionIsLowerBound: plan.version.lowerBound,
      replicationState: "NotStarted",
      plan: planToObject(plan),
      ...(osDigest === undefined ? {} : { vhdDigest: osDigest }),
      summaryMarkdown: renderPlanMarkdown(plan),
      ok: plan.ok,
    };
  }

  if (!plan.ok) {
    throw new InputError(
      plan.blockers.map((b): Problem => ({
        code: b.code,
        message: b.message,
        ...(b.fix === undefined ? {} : { fix: b.fix }),
        location: { file: manifest.file },
      })),
    );
  }
  if (azure === undefined) throw credentialsMissing("Publishing");
  if (osDisk === undefined) throw new Error("internal: no OS disk after validation");

  const names = intermediateNames(manifest, version, manifestDisks(manifest));
  const publishDisks: LocalDisk[] = disks.map((d) => {
    const diskNames = names.disks.find((n) => (d.role === "os" ? n.role === "os" : n.lun === d.lun));
    if (diskNames === undefined) throw new Error(`internal: no names for ${d.shown}`);
    return { path: d.path, names: diskNames };
  });

  const report = await publishImage({
    manifest,
    version,
    ...(osDigest === undefined ? {} : { knownOsDigest: osDigest }),
    via: plan.via.value,
    disks: publishDisks,
    names,
    storageAccountId: storageAccountId(azure.subscriptionId, manifest.staging),
    compute: azure.compute,
    uploader: azure.uploader,
    locks: azure.locks,
    ensureContainer: azure.ensureContainer,
    context: request.context,
    log,
    waitForReplication: request.waitForReplication,
    timeoutMinutes: request.timeoutMinutes,
    uploadConcurrency: request.uploadConcurrency,
    lockWaitSeconds: numberFromEnv("SIG_PUBLISH_LOCK_WAIT_SECONDS", 15 * 60),
    pollIntervalMs: numberFromEnv("SIG_PUBLISH_POLL_INTERVAL_MS", 15_000),
    ...(request.onUploadProgress === undefined ? {} : { onUploadProgress: request.onUploadProgress }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });

  if (request.updateManifest) await writeVersionBack(request, manifest, version);

  const state = report.replication.state;
  return {
    mode: "publish",
    version,
    versionIsLowerBound: false,
    imageVersionId: report.imageVersionId,
    imageDefinitionId: report.imageDefinitionId,
    replicationState: state,
    plan: planToObject(plan),
    vhdDigest: report.osDigest,
    summaryMarkdown: renderPublishSummary(manifest, plan, report),
    ok: state === "Completed" || (state !== "Failed" && !request.waitForReplication),
  };
}

function credentialsMissing(what: string): InputError {
  return new InputError({
    code: "credentials.missing",
    message: `${what} needs Azure credentials, and none were found.`,
    fix: "In a workflow: `permissions: id-token: write` plus client-id, tenant-id and subscription-id (README › Azure setup). From a terminal: `az login`.",
  });
}

function isBlocked(decision: VersionDecision): decision is Extract<VersionDecision, { blocked: true }> {
  return "blocked" in decision;
}

function decide(
  request: EngineRequest,
  manifest: ResolvedManifest,
  facts: AzureFacts | undefined,
  vhdDigest: string | undefined,
): VersionDecision {
  return decideVersion({
    ...(request.version === undefined || request.version === "" ? {} : { explicit: request.version }),
    ...(manifest.version.number === undefined ? {} : { manifestNumber: manifest.version.number }),
    bump: request.bump ?? manifest.version.bump,
    existing: facts?.versions,
    ...(vhdDigest === undefined ? {} : { vhdDigest }),
    galleryName: manifest.gallery.name,
    imageName: manifest.image.name,
  });
}

/** The OS disk (the `vhd` input wins over disks.os) and the data disks, as absolute paths. */
function localDisks(manifest: ResolvedManifest, request: EngineRequest): DiskOnDisk[] {
  const os =
    request.vhdPath !== undefined && request.vhdPath !== ""
      ? { shown: request.vhdPath, path: path.resolve(request.workspace, request.vhdPath) }
      : manifest.disks.os !== undefined
        ? { shown: manifest.disks.os, path: path.resolve(request.workspace, manifest.disks.os) }
        : undefined;
  if (os === undefined) {
    throw new InputError({
      code: "disks.os-missing",
      message: "No OS disk: the manifest has no disks.os and no vhd was given.",
      fix: "Set disks.os in the manifest (a path inside the repository) or pass the `vhd` input / --vhd.",
      location: { file: manifest.file },
      key: "disks.os",
    });
  }
  return [
    { role: "os", ...os },
    ...manifest.disks.data.map((d) => ({
      role: "data" as const,
      lun: d.lun,
      shown: d.path,
      path: path.resolve(request.workspace, d.path),
    })),
  ];
}

/** Validates every disk image locally before anything in Azure is touched. */
async function inspectDisks(
  disks: readonly DiskOnDisk[],
  planMode: boolean,
  warn: (message: string) => void,
): Promise<(LocalDiskFacts & { absolutePath: string })[]> {
  const problems: Problem[] = [];
  const facts: (LocalDiskFacts & { absolutePath: string })[] = [];
  for (const disk of disks) {
    if (planMode && !existsSync(disk.path)) {
      warn(
        `${disk.shown} does not exist here: the plan shows the disk without its size (publish needs the file).`,
      );
      continue;
    }
    try {
      const vhd: VhdFacts = await inspectVhd(disk.path);
      facts.push({
        role: disk.role,
        ...(disk.lun === undefined ? {} : { lun: disk.lun }),
        path: disk.shown,
        absolutePath: disk.path,
        format: vhd.format,
        virtualSize: vhd.virtualSize,
        blobSize: vhd.blobSize,
        allocatedBytes: vhd.allocatedBytes,
      });
    } catch (error) {
      if (!(error instanceof VhdError)) throw error;
      problems.push({
        code: `vhd.${error.code.toLowerCase().replaceAll("_", "-")}`,
        message: `${disk.shown}: ${error.problem}`,
        fix: error.fix,
        location: { file: disk.shown },
      });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return facts;
}

interface ConnectedAzure {
  readonly subscriptionId: string;
  readonly compute: ComputeGateway;
  readonly reader: AzureGalleryReader;
  readonly uploader: StagingDiskUploader;
  readonly locks: BlobLeaseLock;
  readonly ensureContainer: () => Promise<boolean>;
}

function connect(access: AzureAccess, manifest: ResolvedManifest, request: EngineRequest): ConnectedAzure {
  const subscriptionId = manifest.gallery.subscription ?? access.subscriptionId;
  if (subscriptionId === undefined || subscriptionId === "") {
    throw new InputError({
      code: "credentials.subscription-missing",
      message: "No Azure subscription: gallery.subscription is not set and no subscription-id was given.",
      fix: "Set gallery.subscription in the manifest, the subscription-id input, or AZURE_SUBSCRIPTION_ID.",
      location: { file: manifest.file },
      key: "gallery.subscription",
    });
  }
  const compute = new ArmComputeGateway({
    credential: access.credential,
    subscriptionId,
    ...(access.armEndpoint === undefined ? {} : { armEndpoint: access.armEndpoint }),
    pollIntervalMs: numberFromEnv("SIG_PUBLISH_POLL_INTERVAL_MS", 5_000),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  const storage = {
    credential: access.credential,
    ...(access.storageAccountKey === undefined ? {} : { accountKey: access.storageAccountKey }),
    ...(access.blobEndpoint === undefined ? {} : { blobEndpoint: access.blobEndpoint }),
  };
  const container = stagingContainer(manifest.staging, storage);
  return {
    subscriptionId,
    compute,
    reader: new AzureGalleryReader({
      compute,
      container,
      blobStatus: stagedBlobStatus,
      warn: (m) => request.log.warning(m),
    }),
    uploader: new StagingDiskUploader(container, {
      accountName: manifest.staging.storageAccount,
      ...(access.storageAccountKey === undefined ? {} : { accountKey: access.storageAccountKey }),
      token: access.credential,
    }),
    locks: new BlobLeaseLock(container, { log: (m) => request.log.info(m) }),
    ensureContainer: () => ensurePrivateContainer(container),
  };
}

async function writeVersionBack(
  request: EngineRequest,
  manifest: ResolvedManifest,
  version: string,
): Promise<void> {
  const file = path.resolve(request.workspace, request.manifestPath);
  const before = await readFile(file, "utf8");
  const after = updateManifestVersion(before, version);
  if (after !== before) {
    await writeFile(file, after);
    request.log.info(`${manifest.file}: version.number set to ${version}`);
  }
}

/** `status`: the replication state of a version (the one given, else the gallery's highest). */
async function runStatus(request: EngineRequest, manifest: ResolvedManifest): Promise<EngineResult> {
  if (request.azure === undefined) throw credentialsMissing("status (it reads the gallery)");
  const azure = connect(request.azure, manifest, request);
  const rg = manifest.gallery.resourceGroup;
  let version = request.version;
  if (version === undefined || version === "") {
    const all = await azure.compute.listImageVersions(rg, manifest.gallery.name, manifest.image.name);
    const valid = all.map((v) => v.name).filter(isImageVersion);
    valid.sort((a, b) => compareImageVersions(parseImageVersion(b), parseImageVersion(a)));
    version = valid[0];
  }
  if (version === undefined) {
    throw new InputError({
      code: "status.no-version",
      message: `Image ${manifest.image.name} in gallery ${manifest.gallery.name} has no versions yet.`,
      fix: "Publish one first, or check gallery/image names in the manifest.",
      location: { file: manifest.file },
    });
  }
  const info = await azure.compute.getImageVersion(
    rg,
    manifest.gallery.name,
    manifest.image.name,
    version,
    true,
  );
  if (info === undefined) {
    throw new InputError({
      code: "status.version-missing",
      message: `Image version ${version} of ${manifest.image.name} does not exist in gallery ${manifest.gallery.name}.`,
      fix: "Check the version, or omit --version to show the newest.",
    });
  }
  const regions = manifest.version.targetRegions.map((r) => r.name);
  const assessed = assessReplication(
    info,
    regions.length > 0 ? regions : info.targetRegions.map((r) => r.name),
  );
  const e = escapeMarkdown;
  const lines = [
    `## ${e(manifest.image.name)} ${e(version)}: ${assessed.state}`,
    "",
    `Provisioning: ${e(info.provisioningState ?? "unknown")}. ID: \`${e(info.id)}\``,
    "",
    "| region | state | progress | details |",
    "| --- | --- | ---: | --- |",
    ...assessed.regions.map(
      (r) =>
        `| ${e(r.region)} | ${e(r.state)} | ${r.progress === undefined ? "–" : `${r.progress}%`} | ${e(r.details ?? "")} |`,
    ),
  ];
  const state: ReplicationState = assessed.state;
  return {
    mode: "status",
    version,
    versionIsLowerBound: false,
    imageVersionId: info.id,
    imageDefinitionId: info.id.replace(/\/versions\/[^/]+$/, ""),
    replicationState: state,
    plan: {},
    ...(info.tags[TAG.digest] === undefined ? {} : { vhdDigest: info.tags[TAG.digest] }),
    summaryMarkdown: capMarkdown(lines.join("\n")),
    ok: state !== "Failed",
  };
}
