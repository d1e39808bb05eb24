/**
 * buildPlan: a pure function from (manifest, version decision, what Azure holds, local VHD facts,
 * mode) to the ordered steps of a publish. Plan mode shows it; publish mode follows it.
 */
import type { ResolvedManifest, StagingVia } from "../manifest/model.ts";
import { InputError } from "../problems.ts";
import {
  chooseVersion,
  compareImageVersions,
  formatImageVersion,
  checkImageVersion,
} from "../version/index.ts";
import type { ChooseVersionInput, ImageVersion } from "../version/index.ts";
import { compareImageDefinition, describeChange, existingSecurityType } from "./definition.ts";
import { intermediateNames, manifestDisks } from "./names.ts";
import type { DiskNames } from "./names.ts";
import type {
  AzureFacts,
  ExistingImageVersion,
  LocalDiskFacts,
  Plan,
  PlanBlocker,
  PlanInput,
  PlanStep,
  PlanVersion,
  PlanVia,
  VersionDecision,
} from "./types.ts";
import { formatBytes } from "../format.ts";

export const NEEDS_READ_ACCESS = "needs read access to Azure (no credentials: plan only)";

/** chooseVersion, with its refusals turned into a VersionBlocked the plan can show. */
export function decideVersion(input: ChooseVersionInput): VersionDecision {
  try {
    return chooseVersion(input);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return {
      blocked: true,
      requested: input.explicit?.trim() ?? input.manifestNumber?.trim() ?? "1.0.0",
      problems: error.problems,
    };
  }
}

const TRUSTED_LAUNCH = new Set(["trustedlaunch", "trustedlaunchsupported"]);
const CONFIDENTIAL = new Set([
  "confidentialvm",
  "confidentialvmsupported",
  "trustedlaunchandconfidentialvmsupported",
]);

/**
 * The staging path a security type requires (PRODUCT §4.5): TrustedLaunch definitions need `blob`,
 * ConfidentialVM ones need `snapshot` (TrustedLaunchAndConfidentialVmSupported follows the stricter
 * ConfidentialVM rule). Standard works with either.
 */
export function requiredVia(securityType: string | undefined): { via: StagingVia; why: string } | undefined {
  const key = (securityType ?? "Standard").toLowerCase();
  if (CONFIDENTIAL.has(key)) {
    return {
      via: "snapshot",
      why: `security type ${securityType ?? ""} needs the version made from managed snapshots (via: snapshot)`,
    };
  }
  if (TRUSTED_LAUNCH.has(key)) {
    return {
      via: "blob",
      why: `security type ${securityType ?? ""} needs the version made straight from the blob (via: blob)`,
    };
  }
  return undefined;
}

function isBlocked(v: VersionDecision): v is Extract<VersionDecision, { blocked: true }> {
  return "blocked" in v && v.blocked;
}

function planVersion(decision: VersionDecision): PlanVersion {
  if (isBlocked(decision)) {
    return {
      value: decision.requested,
      lowerBound: false,
      resume: false,
      blocked: true,
      explanation: decision.problems.map((p) => p.message).join(" "),
    };
  }
  return {
    value: decision.version,
    lowerBound: decision.lowerBound,
    reason: decision.reason,
    resume: decision.resume,
    blocked: false,
    explanation: decision.explanation,
    ...(decision.highestExisting === undefined ? {} : { highestExisting: decision.highestExisting }),
    ...(decision.bumpedFrom === undefined ? {} : { bumpedFrom: decision.bumpedFrom }),
    ...(decision.needsDigestToDecide === true ? { needsDigestToDecide: true } : {}),
  };
}

function sameDigest(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function isState(state: string | undefined, ...wanted: string[]): boolean {
  return state !== undefined && wanted.some((w) => w.toLowerCase() === state.toLowerCase());
}

function endOfLifeText(manifest: ResolvedManifest, now: Date | undefined): string | undefined {
  const eol = manifest.version.endOfLife;
  if (eol === undefined) return undefined;
  if (eol.kind === "date") return eol.date;
  if (now === undefined) return `${eol.days} days after publishing`;
  return new Date(now.getTime() + eol.days * 86_400_000).toISOString().slice(0, 10);
}

/** Local facts, or the manifest's disks with unknown sizes, keyed like intermediateNames. */
function localDisks(input: PlanInput): LocalDiskFacts[] | undefined {
  if (input.disks === undefined) return undefined;
  return [...input.disks].sort((a, b) =>
    a.role === b.role ? (a.lun ?? 0) - (b.lun ?? 0) : a.role === "os" ? -1 : 1,
  );
}

export function buildPlan(input: PlanInput): Plan {
  const { manifest, azure } = input;
  const waitForReplication = input.waitForReplication ?? true;
  const steps: PlanStep[] = [];
  const warnings: string[] = [];
  const blockers: PlanBlocker[] = [];
  const version = planVersion(input.version);
  const v = version.value;
  const file = manifest.file;
  const galleryName = manifest.gallery.name;
  const imageName = manifest.image.name;
  const rg = manifest.gallery.resourceGroup;

  if (!isBlocked(input.version)) {
    warnings.push(...input.version.warnings);
    if (input.version.needsDigestToDecide === true) {
      warnings.push(
        `Version ${v} is provisional: an existing version carries a VHD digest, and this VHD's digest was not computed yet.`,
      );
    }
  } else {
    for (const p of input.version.problems) {
      blockers.push({
        code: p.code,
        message: p.message,
        ...(p.fix === undefined ? {} : { fix: p.fix }),
        stepId: "image-version",
      });
    }
  }

  // Disks: local facts when inspected, else the manifest's list.
  const local = localDisks(input);
  const diskRefs = local ?? manifestDisks(manifest);
  const names = intermediateNames(manifest, v, diskRefs);
  const manifestPaths = new Map<string, string>([
    ["os", manifest.disks.os ?? "(the vhd input)"],
    ...manifest.disks.data.map((d) => [`lun-${d.lun}`, d.path] as [string, string]),
  ]);
  const localByKey = new Map((local ?? []).map((d) => [d.role === "os" ? "os" : `lun-${d.lun ?? 0}`, d]));

  // 1. Lock.
  steps.push({
    id: "lock",
    action: "acquire",
    resource: "lock",
    name: `${names.storageAccount}/${names.container}/${names.lockBlob}`,
    reason: "One publish per image definition at a time: a blob lease held for the whole publish.",
  });

  // 2. Gallery.
  const galleryStepId = "gallery";
  let galleryExists: boolean | undefined;
  if (azure === undefined) {
    steps.push({
      id: galleryStepId,
      action: "unknown",
      resource: "gallery",
      name: galleryName,
      reason: `Exists? ${NEEDS_READ_ACCESS}.`,
    });
  } else if (azure.gallery.exists) {
    galleryExists = true;
    steps.push({
      id: galleryStepId,
      action: "keep",
      resource: "gallery",
      name: galleryName,
      reason: `Exists in ${rg}.`,
    });
    const at = azure.gallery.location;
    if (at !== undefined && at.toLowerCase() !== manifest.gallery.location.toLowerCase()) {
      warnings.push(
        `Gallery ${galleryName} is in ${at}, but ${file} sets gallery.location: ${manifest.gallery.location}; the definition, disks, snapshots and version are created in ${manifest.gallery.location}.`,
      );
    }
  } else if (manifest.gallery.create) {
    galleryExists = false;
    steps.push({
      id: galleryStepId,
      action: "create",
      resource: "gallery",
      name: galleryName,
      reason: `Missing; gallery.create is true: created in ${rg} (${manifest.gallery.location}).`,
    });
  } else {
    galleryExists = false;
    steps.push({
      id: galleryStepId,
      action: "conflict",
      resource: "gallery",
      name: galleryName,
      reason: `Missing, and gallery.create is false.`,
    });
    blockers.push({
      code: "plan.gallery-missing",
      message: `Gallery ${galleryName} does not exist in resource group ${rg}, and gallery.create is false in ${file}.`,
      fix: `Set gallery.create: true in ${file}, or create it first: az sig create --resource-group ${rg} --gallery-name ${galleryName} --location ${manifest.gallery.location}. Check gallery.subscription / resourceGroup / name if it should exist.`,
      stepId: galleryStepId,
    });
  }

  // 3. Image definition.
  const defStepId = "image-definition";
  const def = azure?.imageDefinition;
  let securityTypeInAzure: string | undefined;
  if (azure === undefined) {
    steps.push({
      id: defStepId,
      action: "unknown",
      resource: "imageDefinition",
      name: imageName,
      reason: `Exists, and matches? ${NEEDS_READ_ACCESS}.`,
    });
  } else if (galleryExists === false || def === undefined || !def.exists) {
    steps.push({
      id: defStepId,
      action: "create",
      resource: "imageDefinition",
      name: imageName,
      reason: `Missing: created (${manifest.image.osType}, ${manifest.image.osState}, ${manifest.image.hyperVGeneration}, ${manifest.image.architecture}, ${manifest.image.securityType ?? "Standard"}; ${manifest.image.publisher}/${manifest.image.offer}/${manifest.image.sku}).`,
    });
  } else if (def.properties === undefined) {
    steps.push({
      id: defStepId,
      action: "keep",
      resource: "imageDefinition",
      name: imageName,
      reason: "Exists (properties not read).",
    });
  } else {
    securityTypeInAzure = existingSecurityType(def.properties);
    const cmp = compareImageDefinition(manifest.image, manifest.gallery.location, def.properties);
    warnings.push(...cmp.notes);
    if (cmp.immutable.length > 0) {
      const list = cmp.immutable.map(describeChange).join("; ");
      steps.push({
        id: defStepId,
        action: "conflict",
        resource: "imageDefinition",
        name: imageName,
        reason: `Exists with different immutable properties: ${propertyNames(cmp.immutable)}.`,
        changes: cmp.immutable,
      });
      blockers.push({
        code: "plan.definition-immutable",
        message: `Image definition ${imageName} in gallery ${galleryName} differs in properties Azure cannot change: ${list}.`,
        fix: `Publish to a new definition: set image.name in ${file} to a new name (e.g. ${imageName}-2), or change the manifest back to the values in Azure.`,
        stepId: defStepId,
      });
    } else if (cmp.mutable.length > 0) {
      steps.push({
        id: defStepId,
        action: "update",
        resource: "imageDefinition",
        name: imageName,
        reason: `Exists; updates ${propertyNames(cmp.mutable)}.`,
        changes: cmp.mutable,
      });
    } else {
      steps.push({
        id: defStepId,
        action: "keep",
        resource: "imageDefinition",
        name: imageName,
        reason: "Exists and matches the manifest.",
      });
    }
  }

  // Via.
  const via = chooseVia(manifest, securityTypeInAzure);
  if (via.value !== via.requested) {
    warnings.push(
      `staging.via is ${via.requested} in ${file}, but ${via.reason ?? ""}: the publish uses via: ${via.value}. Set staging.via: ${via.value} to silence this.`,
    );
  }

  // The version in Azure, if any.
  const existingVersion: ExistingImageVersion | undefined = azure?.versions.find((e) => e.name === v);
  const versionDone =
    version.resume &&
    existingVersion !== undefined &&
    isState(existingVersion.provisioningState, "Succeeded");

  // 4. Staging container.
  if (azure === undefined) {
    steps.push({
      id: "container",
      action: "unknown",
      resource: "container",
      name: `${names.storageAccount}/${names.container}`,
      reason: `Exists? ${NEEDS_READ_ACCESS}.`,
    });
  } else if (azure.stagingContainerExists === undefined) {
    steps.push({
      id: "container",
      action: "unknown",
      resource: "container",
      name: `${names.storageAccount}/${names.container}`,
      reason: "Could not read the storage account (needs a Storage Blob Data role); created if missing.",
    });
  } else if (azure.stagingContainerExists) {
    steps.push({
      id: "container",
      action: "keep",
      resource: "container",
      name: `${names.storageAccount}/${names.container}`,
      reason: "Exists.",
    });
  } else {
    steps.push({
      id: "container",
      action: "create",
      resource: "container",
      name: `${names.storageAccount}/${names.container}`,
      reason: "Missing: created (private).",
    });
  }

  // 5. Uploads.
  for (const disk of names.disks) {
    const facts = localByKey.get(disk.key);
    const details = diskDetails(facts, manifestPaths.get(disk.key));
    const id = `upload-${disk.key}`;
    if (versionDone) {
      steps.push({
        id,
        action: "skip",
        resource: "blob",
        name: disk.blobPath,
        reason: `Version ${v} already exists from this VHD.`,
        details,
      });
      continue;
    }
    if (azure === undefined) {
      steps.push({
        id,
        action: "unknown",
        resource: "blob",
        name: disk.blobPath,
        reason: `Uploaded unless a blob with the same digest exists; ${NEEDS_READ_ACCESS}.`,
        details,
      });
      continue;
    }
    const blob = azure.existingBlobs?.find((b) => b.path === disk.blobName);
    if (blob !== undefined && blob.complete && sameDigest(blob.digest, facts?.digest)) {
      steps.push({
        id,
        action: "skip",
        resource: "blob",
        name: disk.blobPath,
        reason: "A complete blob with the same digest exists.",
        details,
      });
    } else {
      const why =
        blob === undefined
          ? azure.existingBlobs === undefined
            ? "Upload (the container could not be listed; a blob with the same digest is skipped at publish time)."
            : "Upload as a page blob (4 MiB pages, zero pages skipped)."
          : !blob.complete
            ? "An earlier upload was interrupted: uploaded again (zero pages skipped)."
            : facts?.digest === undefined
              ? "A blob exists; it is reused if its digest matches this VHD's, else replaced."
              : "A blob from a different VHD exists: replaced.";
      steps.push({ id, action: "upload", resource: "blob", name: disk.blobPath, reason: why, details });
    }
  }

  // 6. Disk → snapshot (via snapshot).
  if (via.value === "snapshot") {
    for (const disk of names.disks) {
      pushIntermediate(
        steps,
        "disk",
        disk,
        disk.diskName,
        versionDone,
        v,
        azure?.existingDisks,
        `Import from ${disk.blobPath} (${names.resourceGroup}, ${manifest.gallery.location}).`,
      );
    }
    for (const disk of names.disks) {
      pushIntermediate(
        steps,
        "snapshot",
        disk,
        disk.snapshotName,
        versionDone,
        v,
        azure?.existingSnapshots,
        `Copy of disk ${disk.diskName}.`,
      );
    }
  }

  // 7. Image version.
  const afterReplication =
    manifest.version.promote === "afterReplication" && !manifest.version.excludeFromLatest;
  const createExcluded = manifest.version.excludeFromLatest || afterReplication;
  const eol = endOfLifeText(manifest, input.now);
  const versionDetails: Record<string, string | number | boolean | readonly string[]> = {
    source: via.value === "snapshot" ? "snapshots" : "blobs",
    excludeFromLatest: createExcluded,
    replicationMode: manifest.version.replicationMode,
    targetRegions: manifest.version.targetRegions.map(
      (r) => `${r.name}=${r.replicas}=${r.storageAccountType}`,
    ),
    ...(eol === undefined ? {} : { endOfLife: eol }),
  };
  const versionName = `${imageName}/${v}`;
  if (version.blocked) {
    steps.push({
      id: "image-version",
      action: "conflict",
      resource: "imageVersion",
      name: versionName,
      reason: version.explanation,
      details: versionDetails,
    });
  } else if (existingVersion !== undefined && version.resume) {
    const state = existingVersion.provisioningState ?? "unknown state";
    if (versionDone) {
      steps.push({
        id: "image-version",
        action: "keep",
        resource: "imageVersion",
        name: versionName,
        reason: "Exists, made from this VHD: resuming.",
        details: versionDetails,
      });
    } else if (isState(existingVersion.provisioningState, "Creating", "Updating")) {
      steps.push({
        id: "image-version",
        action: "wait",
        resource: "imageVersion",
        name: versionName,
        reason: `Exists from this VHD and is still ${state}: wait for it.`,
        details: versionDetails,
      });
    } else {
      steps.push({
        id: "image-version",
        action: "create",
        resource: "imageVersion",
        name: versionName,
        reason: `Exists from this VHD but ${state}: created again from the same VHD.`,
        details: versionDetails,
      });
    }
  } else if (existingVersion !== undefined && version.needsDigestToDecide === true) {
    steps.push({
      id: "image-version",
      action: "unknown",
      resource: "imageVersion",
      name: versionName,
      reason: "Exists: a resume if it was made from this VHD, else a conflict (digest not computed yet).",
      details: versionDetails,
    });
  } else {
    const prefix = version.lowerBound ? `Create (version at least ${v})` : "Create";
    steps.push({
      id: "image-version",
      action: "create",
      resource: "imageVersion",
      name: versionName,
      reason: `${prefix} from the ${via.value === "snapshot" ? "snapshots" : "blobs"} in ${manifest.gallery.location}${createExcluded ? ", excluded from latest" : ""}, replicated to ${manifest.version.targetRegions.length} region${manifest.version.targetRegions.length === 1 ? "" : "s"}.`,
      details: versionDetails,
    });
  }

  // 8. Replication.
  const regionList = manifest.version.targetRegions.map((r) => r.name).join(", ");
  if (!waitForReplication) {
    steps.push({
      id: "replication",
      action: "skip",
      resource: "replication",
      name: regionList,
      reason: "wait-for-replication is false: not waited for.",
    });
  } else if (versionDone && isState(existingVersion?.replicationState, "Completed")) {
    steps.push({
      id: "replication",
      action: "keep",
      resource: "replication",
      name: regionList,
      reason: "Every region has completed.",
    });
  } else {
    steps.push({
      id: "replication",
      action: "wait",
      resource: "replication",
      name: regionList,
      reason: "Poll until every region completes, one fails, or the timeout passes.",
    });
  }

  // 9. Promotion.
  if (afterReplication) {
    if (versionDone && existingVersion?.excludeFromLatest === false) {
      steps.push({
        id: "promote",
        action: "keep",
        resource: "imageVersion",
        name: versionName,
        reason: "Already the latest (not excluded).",
      });
    } else if (!waitForReplication) {
      steps.push({
        id: "promote",
        action: "skip",
        resource: "imageVersion",
        name: versionName,
        reason:
          "promote: afterReplication needs wait-for-replication: the version stays excluded from latest.",
      });
      warnings.push(
        `promote: afterReplication with wait-for-replication false: version ${v} stays excluded from latest until a later run (or sig-publish status) promotes it.`,
      );
    } else {
      steps.push({
        id: "promote",
        action: "update",
        resource: "imageVersion",
        name: versionName,
        reason: "Made latest (excludeFromLatest: false) once every region has completed.",
      });
    }
  }

  // 10. Cleanup.
  if (!manifest.staging.cleanup) {
    steps.push({
      id: "cleanup",
      action: "skip",
      resource: "cleanup",
      name: `${names.container}/${imageName}/${v}/`,
      reason: "staging.cleanup is false: blobs, disks and snapshots are kept.",
    });
  } else {
    for (const disk of names.disks) {
      steps.push({
        id: `cleanup-blob-${disk.key}`,
        action: "delete",
        resource: "blob",
        name: disk.blobPath,
        reason: "Cleanup once the version succeeded.",
      });
    }
    if (via.value === "snapshot") {
      for (const disk of names.disks) {
        steps.push({
          id: `cleanup-snapshot-${disk.key}`,
          action: "delete",
          resource: "snapshot",
          name: disk.snapshotName,
          reason: "Cleanup once the version succeeded.",
        });
        steps.push({
          id: `cleanup-disk-${disk.key}`,
          action: "delete",
          resource: "disk",
          name: disk.diskName,
          reason: "Cleanup once the version succeeded.",
        });
      }
    }
  }

  // 11. Retention.
  if (manifest.retention !== undefined) {
    steps.push(...retentionSteps(manifest.retention.keep, v, azure, version.blocked));
  }

  // Disk sizes warning: nothing to say without local facts.
  if (local === undefined) {
    warnings.push("The VHDs were not inspected: sizes and digests are unknown.");
  }

  const regions = manifest.version.targetRegions.map((r) => ({
    name: r.name,
    replicas: r.replicas,
    storageAccountType: r.storageAccountType,
    source: r.name === manifest.gallery.location,
    encrypted:
      r.encryption !== undefined &&
      (r.encryption.osDiskEncryptionSetId !== undefined || r.encryption.dataDisks.length > 0),
  }));

  return {
    schemaVersion: 1,
    mode: input.mode,
    manifestFile: file,
    target: {
      ...(manifest.gallery.subscription === undefined ? {} : { subscription: manifest.gallery.subscription }),
      resourceGroup: rg,
      gallery: galleryName,
      imageDefinition: imageName,
      location: manifest.gallery.location,
    },
    readAccess: azure !== undefined,
    version,
    via,
    replicationMode: manifest.version.replicationMode,
    promote: manifest.version.promote,
    targetRegions: regions,
    disks: names.disks.map((d) => {
      const facts = localByKey.get(d.key);
      return {
        key: d.key,
        path: facts?.path ?? manifestPaths.get(d.key) ?? "",
        ...(facts === undefined
          ? {}
          : { format: facts.format, virtualSize: facts.virtualSize, blobSize: facts.blobSize }),
        ...(facts?.digest === undefined ? {} : { digest: facts.digest }),
      };
    }),
    steps,
    warnings,
    blockers,
    ok: blockers.length === 0,
  };
}

function propertyNames(changes: readonly { property: string }[]): string {
  const names = changes.map((c) => c.property);
  return names.length <= 8
    ? names.join(", ")
    : `${names.slice(0, 8).join(", ")} and ${names.length - 8} more`;
}

function chooseVia(manifest: ResolvedManifest, securityTypeInAzure: string | undefined): PlanVia {
  const requested = manifest.staging.via;
  const securityType = securityTypeInAzure ?? manifest.image.securityType;
  const need = requiredVia(securityType);
  if (need === undefined) return { value: requested, requested };
  return { value: need.via, requested, reason: need.why };
}

function diskDetails(
  facts: LocalDiskFacts | undefined,
  manifestPath: string | undefined,
): Record<string, string | number> {
  if (facts === undefined) return manifestPath === undefined ? {} : { path: manifestPath };
  return {
    path: facts.path,
    format: facts.format,
    virtualSize: facts.virtualSize,
    size: formatBytes(facts.virtualSize),
    ...(facts.allocatedBytes === undefined ? {} : { allocated: formatBytes(facts.allocatedBytes) }),
    ...(facts.digest === undefined ? {} : { digest: facts.digest }),
  };
}

function pushIntermediate(
  steps: PlanStep[],
  resource: "disk" | "snapshot",
  disk: DiskNames,
  name: string,
  versionDone: boolean,
  version: string,
  existing: readonly { name: string; provisioningState?: string }[] | undefined,
  what: string,
): void {
  const id = `${resource}-${disk.key}`;
  if (versionDone) {
    steps.push({
      id,
      action: "skip",
      resource,
      name,
      reason: `Version ${version} already exists from this VHD.`,
    });
    return;
  }
  const found = existing?.find((e) => e.name.toLowerCase() === name.toLowerCase());
  if (found !== undefined && !isState(found.provisioningState, "Failed")) {
    steps.push({ id, action: "keep", resource, name, reason: `Exists from an earlier run: reused.` });
  } else if (found !== undefined) {
    steps.push({
      id,
      action: "create",
      resource,
      name,
      reason: `An earlier attempt Failed: created again. ${what}`,
    });
  } else {
    steps.push({ id, action: "create", resource, name, reason: what });
  }
}

function retentionSteps(
  keep: number,
  newVersion: string,
  azure: AzureFacts | undefined,
  blocked: boolean,
): PlanStep[] {
  if (azure === undefined) {
    return [
      {
        id: "retention",
        action: "unknown",
        resource: "retention",
        name: `keep ${keep}`,
        reason: `Which versions are beyond the newest ${keep}? ${NEEDS_READ_ACCESS}.`,
      },
    ];
  }
  const doomed = retentionCandidates(
    keep,
    newVersion,
    azure.versions.map((e) => e.name),
  );
  if (doomed.length === 0) {
    return [
      {
        id: "retention",
        action: "keep",
        resource: "retention",
        name: `keep ${keep}`,
        reason: `Nothing beyond the newest ${keep}.`,
      },
    ];
  }
  return doomed.map((name) => ({
    id: `retention-${name}`,
    action: "delete" as const,
    resource: "retention" as const,
    name,
    reason: blocked
      ? `Beyond the newest ${keep} (only once a new version is published).`
      : `Beyond the newest ${keep} once ${newVersion} is published.`,
  }));
}

/**
 * The versions `retention.keep` deletes after publishing `newVersion`: all versions (existing plus
 * the new one) sorted newest first, minus the newest `keep`, never the new one. Names that are not
 * MAJOR.MINOR.PATCH are never deleted. Newest first.
 */
export function retentionCandidates(keep: number, newVersion: string, existing: readonly string[]): string[] {
  const parsed = new Map<string, ImageVersion>();
  for (const name of [...existing, newVersion]) {
    const check = checkImageVersion(name);
    if (check.ok && formatImageVersion(check.version) === name) parsed.set(name, check.version);
  }
  const sorted = [...parsed.entries()].sort((a, b) => compareImageVersions(b[1], a[1])).map(([name]) => name);
  return sorted.slice(Math.max(0, keep)).filter((name) => name !== newVersion);
}
