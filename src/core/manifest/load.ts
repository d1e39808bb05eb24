/**
 * The manifest loader: bytes → YAML (with positions) → schema → rules → ResolvedManifest with
 * defaults applied. Every problem in the file is reported at once, each with its key, line and
 * column; bad input never produces a stack trace (only InputError).
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { InputError } from "../problems.ts";
import type { Problem } from "../problems.ts";
import type {
  DiskEncryption,
  EndOfLife,
  HyperVGeneration,
  ResolvedManifest,
  ResolvedTargetRegion,
  StorageAccountType,
} from "./model.ts";
import { applyRules } from "./rules.ts";
import type { RawManifest } from "./schema.ts";
import { parseManifestSource } from "./source.ts";
import { validateAgainstSchema } from "./validate.ts";

/** Defaults applied to keys the manifest leaves out (documented in the README and the schema). */
export const MANIFEST_DEFAULTS = {
  galleryCreate: false,
  osState: "Generalized",
  architecture: "x64",
  /** Azure's default; V2 when Arm64 or a TrustedLaunch/ConfidentialVM security type needs it. */
  hyperVGeneration: "V1",
  bump: "patch",
  excludeFromLatest: false,
  replicationMode: "Full",
  replicaCount: 1,
  storageAccountType: "Standard_LRS",
  promote: "immediate",
  container: "vhds",
  via: "snapshot",
  cleanup: true,
} as const;

export interface LoadOptions {
  /** “Today” for end-of-life checks; default: now. */
  readonly now?: Date;
}

export type ManifestResult =
  | { readonly ok: true; readonly manifest: ResolvedManifest }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** Validates a manifest without throwing: the resolved manifest, or every problem found. */
export function checkManifest(
  text: string | Uint8Array,
  file: string,
  options: LoadOptions = {},
): ManifestResult {
  try {
    return checkManifestUnsafe(text, file, options);
  } catch (error) {
    if (error instanceof InputError) return { ok: false, problems: error.problems };
    throw error;
  }
}

function checkManifestUnsafe(text: string | Uint8Array, file: string, options: LoadOptions): ManifestResult {
  const parsed = parseManifestSource(text, file);
  if (!parsed.ok) return { ok: false, problems: sortProblems(parsed.problems) };
  const { source, data } = parsed;
  const schemaProblems = validateAgainstSchema(data, source);
  const flagged = new Set(schemaProblems.map((problem) => problem.key).filter((key) => key !== undefined));
  const rules = applyRules({ source, data, now: options.now ?? new Date(), flagged });
  const problems = [...schemaProblems, ...rules.problems];
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, manifest: resolve(data as RawManifest, file, rules) };
}

/** Loads and validates a manifest; throws InputError carrying every problem. */
export function loadManifest(
  text: string | Uint8Array,
  file: string,
  options: LoadOptions = {},
): ResolvedManifest {
  const result = checkManifest(text, file, options);
  if (!result.ok) throw new InputError(result.problems);
  return result.manifest;
}

export interface LoadFileOptions extends LoadOptions {
  /** Repository root: the manifest is named relative to it in messages. */
  readonly workspace: string;
}

/** Reads a manifest file (relative to the workspace, or absolute) and loads it. */
export async function loadManifestFile(file: string, options: LoadFileOptions): Promise<ResolvedManifest> {
  const absolute = path.resolve(options.workspace, file);
  const relative = path.relative(options.workspace, absolute);
  const shown =
    relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : absolute;
  const display = shown.split(path.sep).join("/");
  let bytes: Uint8Array;
  try {
    bytes = await readFile(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError({
      code: "manifest.not-found",
      message:
        code === "ENOENT"
          ? `The manifest ${display} does not exist.`
          : code === "EISDIR"
            ? `The manifest ${display} is a directory, not a file.`
            : `The manifest ${display} cannot be read (${code ?? "error"}).`,
      fix: "Check the `manifest` input: a path relative to the repository root, e.g. images/ubuntu-web.image.yml.",
      location: { file: display },
    });
  }
  return loadManifest(bytes, display, options);
}

function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
}

function stringMap(
  map: Readonly<Record<string, string | number | boolean>> | undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) result[key] = String(value);
  return result;
}

function normaliseDiskPath(value: string): string {
  return path.posix.normalize(value.replace(/\\/g, "/"));
}

function resolve(raw: RawManifest, file: string, rules: ReturnType<typeof applyRules>): ResolvedManifest {
  const location = rules.location ?? raw.gallery.location;
  const version = raw.version ?? {};
  const replicaCount = version.replicaCount ?? MANIFEST_DEFAULTS.replicaCount;
  const storageAccountType: StorageAccountType =
    version.storageAccountType ?? MANIFEST_DEFAULTS.storageAccountType;

  const targetRegions: ResolvedTargetRegion[] = [];
  const rawRegions = version.targetRegions ?? [];
  for (const parsed of rules.targetRegions) {
    const entry = rawRegions[parsed.index];
    let encryption: DiskEncryption | undefined;
    if (entry !== undefined && typeof entry === "object" && entry.encryption !== undefined) {
      encryption = {
        ...(entry.encryption.osDiskEncryptionSetId === undefined
          ? {}
          : { osDiskEncryptionSetId: entry.encryption.osDiskEncryptionSetId }),
        dataDisks: (entry.encryption.dataDisks ?? []).map((disk) => ({
          lun: disk.lun,
          diskEncryptionSetId: disk.diskEncryptionSetId,
        })),
      };
    }
    targetRegions.push({
      name: parsed.name,
      replicas: parsed.replicas ?? replicaCount,
      storageAccountType: parsed.storageAccountType ?? storageAccountType,
      ...(encryption === undefined ? {} : { encryption }),
    });
  }
  if (!targetRegions.some((region) => region.name === location)) {
    targetRegions.unshift({ name: location, replicas: replicaCount, storageAccountType });
  }

  let endOfLife: EndOfLife | undefined;
  if (version.endOfLifeDate !== undefined) {
    const days = /^P(\d+)D$/.exec(version.endOfLifeDate);
    endOfLife =
      days !== null
        ? { kind: "afterPublish", days: Number(days[1]) }
        : { kind: "date", date: version.endOfLifeDate };
  }

  const image = raw.image;
  const architecture = image.architecture ?? MANIFEST_DEFAULTS.architecture;
  const needsV2 =
    architecture === "Arm64" || (image.securityType !== undefined && image.securityType !== "Standard");
  const hyperVGeneration: HyperVGeneration = image.hyperVGeneration ?? (needsV2 ? "V2" : "V1");

  const recommended =
    image.recommended === undefined
      ? undefined
      : {
          ...(image.recommended.vCPUs === undefined ? {} : { vCPUs: { ...image.recommended.vCPUs } }),
          ...(image.recommended.memory === undefined ? {} : { memory: { ...image.recommended.memory } }),
        };

  return {
    file,
    gallery: {
      ...(raw.gallery.subscription === undefined ? {} : { subscription: raw.gallery.subscription }),
      resourceGroup: raw.gallery.resourceGroup,
      name: raw.gallery.name,
      location,
      create: raw.gallery.create ?? MANIFEST_DEFAULTS.galleryCreate,
    },
    image: {
      name: image.name,
      publisher: image.publisher,
      offer: image.offer,
      sku: image.sku,
      osType: image.osType,
      osState: image.osState ?? MANIFEST_DEFAULTS.osState,
      hyperVGeneration,
      architecture,
      ...(image.securityType === undefined ? {} : { securityType: image.securityType }),
      features: stringMap(image.features),
      ...(image.description === undefined ? {} : { description: image.description }),
      ...(image.eula === undefined ? {} : { eula: image.eula }),
      ...(image.privacyStatementUri === undefined ? {} : { privacyStatementUri: image.privacyStatementUri }),
      ...(image.releaseNoteUri === undefined ? {} : { releaseNoteUri: image.releaseNoteUri }),
      ...(image.endOfLifeDate === undefined ? {} : { endOfLifeDate: image.endOfLifeDate }),
      ...(recommended === undefined ? {} : { recommended }),
      disallowedDiskTypes: [...(image.disallowedDiskTypes ?? [])],
      ...(image.purchasePlan === undefined ? {} : { purchasePlan: { ...image.purchasePlan } }),
      tags: stringMap(image.tags),
    },
    version: {
      ...(version.number === undefined ? {} : { number: version.number }),
      bump: version.bump ?? MANIFEST_DEFAULTS.bump,
      excludeFromLatest: version.excludeFromLatest ?? MANIFEST_DEFAULTS.excludeFromLatest,
      ...(endOfLife === undefined ? {} : { endOfLife }),
      replicationMode: version.replicationMode ?? MANIFEST_DEFAULTS.replicationMode,
      replicaCount,
      storageAccountType,
      targetRegions,
      promote: version.promote ?? MANIFEST_DEFAULTS.promote,
    },
    disks: {
      ...(raw.disks?.os === undefined ? {} : { os: normaliseDiskPath(raw.disks.os) }),
      data: (raw.disks?.data ?? []).map((disk) => ({ lun: disk.lun, path: normaliseDiskPath(disk.path) })),
    },
    staging: {
      storageAccount: raw.staging.storageAccount,
      resourceGroup: raw.staging.resourceGroup ?? raw.gallery.resourceGroup,
      container: raw.staging.container ?? MANIFEST_DEFAULTS.container,
      via: raw.staging.via ?? MANIFEST_DEFAULTS.via,
      cleanup: raw.staging.cleanup ?? MANIFEST_DEFAULTS.cleanup,
    },
    ...(raw.retention === undefined ? {} : { retention: { keep: raw.retention.keep } }),
  };
}
