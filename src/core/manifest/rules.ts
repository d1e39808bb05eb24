/**
 * Rules beyond the schema: Azure naming rules with precise reasons, version numbers, dates,
 * region names (normalised, with suggestions), the `region=replicas=type` shorthand and the
 * cross-field rules (Shallow ⇒ one replica, ZRS ⇒ zonal region, Trusted Launch / Confidential VM /
 * Arm64 ⇒ V2, unique regions and LUNs, disk paths inside the repository, …).
 *
 * The rules read the raw data defensively (the schema may have found problems elsewhere) and skip
 * keys that already have a problem, so each mistake is reported once.
 */
import type { StorageAccountType } from "./model.ts";
import type { Problem } from "../problems.ts";
import { describeValue, formatKeyPath, valueAt } from "./keypath.ts";
import type { KeyPath } from "./keypath.ts";
import {
  CONTAINER_NAME,
  GALLERY_NAME,
  IMAGE_DEFINITION_NAME,
  IMAGE_IDENTIFIER,
  RESOURCE_GROUP_NAME,
  STORAGE_ACCOUNT_NAME,
  SUBSCRIPTION_ID,
  checkVersionNumber,
} from "./naming.ts";
import type { NamingRule } from "./naming.ts";
import { findRegion, suggestRegions } from "./regions.ts";
import { MAX_REPLICAS, STORAGE_ACCOUNT_TYPES } from "./schema.ts";
import { keyLocation, valueLocation } from "./source.ts";
import type { ParsedSource } from "./source.ts";
import { nearest } from "./validate.ts";

export interface RuleContext {
  readonly source: ParsedSource;
  readonly data: Record<string, unknown>;
  /** Today, for end-of-life checks (tests pin it). */
  readonly now: Date;
  /** Keys that already have a problem: rules skip them and everything below them. */
  readonly flagged: ReadonlySet<string>;
}

/** A target region after parsing the string or mapping form (before defaults). */
export interface ParsedTargetRegion {
  readonly index: number;
  readonly name: string;
  readonly replicas?: number;
  readonly storageAccountType?: StorageAccountType;
  /** Where `storageAccountType` / `replicas` were written, for messages. */
  readonly storagePath: KeyPath;
  readonly replicasPath: KeyPath;
  readonly entryPath: KeyPath;
  readonly fromShorthand: boolean;
}

class Collector {
  readonly problems: Problem[] = [];
  private readonly ctx: RuleContext;
  constructor(ctx: RuleContext) {
    this.ctx = ctx;
  }

  /** False when this key (or a parent) already has a problem. */
  open(path: KeyPath): boolean {
    const key = formatKeyPath(path);
    for (const flagged of this.ctx.flagged) {
      if (key === flagged || key.startsWith(`${flagged}.`) || key.startsWith(`${flagged}[`)) return false;
    }
    return !this.problems.some((problem) => problem.key === key);
  }

  add(code: string, path: KeyPath, message: string, fix: string, at: "value" | "key" = "value"): void {
    const key = formatKeyPath(path);
    if (this.problems.some((problem) => problem.key === key)) return;
    const location = at === "key" ? keyLocation(this.ctx.source, path) : valueLocation(this.ctx.source, path);
    this.problems.push({ code, key, message, fix, location });
  }
}

function get(ctx: RuleContext, path: KeyPath): unknown {
  return valueAt(ctx.data, path);
}

const NAMED: readonly (readonly [KeyPath, NamingRule, string])[] = [
  [["gallery", "subscription"], SUBSCRIPTION_ID, "manifest.bad-id"],
  [["gallery", "resourceGroup"], RESOURCE_GROUP_NAME, "manifest.bad-name"],
  [["gallery", "name"], GALLERY_NAME, "manifest.bad-name"],
  [["image", "name"], IMAGE_DEFINITION_NAME, "manifest.bad-name"],
  [["image", "publisher"], IMAGE_IDENTIFIER, "manifest.bad-name"],
  [["image", "offer"], IMAGE_IDENTIFIER, "manifest.bad-name"],
  [["image", "sku"], IMAGE_IDENTIFIER, "manifest.bad-name"],
  [["staging", "storageAccount"], STORAGE_ACCOUNT_NAME, "manifest.bad-name"],
  [["staging", "resourceGroup"], RESOURCE_GROUP_NAME, "manifest.bad-name"],
  [["staging", "container"], CONTAINER_NAME, "manifest.bad-name"],
];

export interface RulesResult {
  readonly problems: Problem[];
  /** Parsed target regions (names normalised), when they could be read. */
  readonly targetRegions: ParsedTargetRegion[];
  readonly location?: string;
}

export function applyRules(ctx: RuleContext): RulesResult {
  const out = new Collector(ctx);

  // Naming rules.
  for (const [path, rule, code] of NAMED) {
    const value = get(ctx, path);
    if (typeof value !== "string" || !out.open(path)) continue;
    const reason = rule.check(value);
    if (reason !== undefined) {
      out.add(
        code,
        path,
        `\`${formatKeyPath(path)}\` ${JSON.stringify(value)} is not a valid ${rule.what}: it ${reason}.`,
        `Use ${rule.summary}, e.g. ${rule.example}.`,
      );
    }
  }

  // Version number.
  const numberPath = ["version", "number"];
  const versionNumber = get(ctx, numberPath);
  if (typeof versionNumber === "string" && out.open(numberPath)) {
    const reason = checkVersionNumber(versionNumber);
    if (reason !== undefined) {
      out.add(
        "manifest.bad-version",
        numberPath,
        `\`version.number\` ${JSON.stringify(versionNumber)} is not a valid image version: it ${reason}.`,
        "Write MAJOR.MINOR.PATCH: three whole numbers from 0 to 2147483647 without leading zeros, e.g. 1.4.0.",
      );
    }
  }

  // Dates.
  checkDate(ctx, out, ["image", "endOfLifeDate"], false);
  checkDate(ctx, out, ["version", "endOfLifeDate"], true);

  // Regions.
  const locationPath = ["gallery", "location"];
  const locationValue = get(ctx, locationPath);
  let location: string | undefined;
  if (typeof locationValue === "string" && out.open(locationPath)) {
    location = checkRegion(out, locationPath, locationValue, "`gallery.location`");
  }
  const targetRegions = parseTargetRegions(ctx, out);

  // Duplicate regions (after normalisation).
  const seen = new Map<string, ParsedTargetRegion>();
  for (const region of targetRegions) {
    const first = seen.get(region.name);
    if (first !== undefined) {
      out.add(
        "manifest.duplicate-region",
        region.entryPath,
        `\`${formatKeyPath(region.entryPath)}\` repeats the region ${region.name} (already \`${formatKeyPath(first.entryPath)}\`).`,
        "List each region once; put its replicas and storage type on that one entry.",
      );
    } else {
      seen.set(region.name, region);
    }
  }

  // Defaults used by the cross-field rules.
  const modeValue = get(ctx, ["version", "replicationMode"]);
  const defaultReplicasValue = get(ctx, ["version", "replicaCount"]);
  const defaultReplicas = typeof defaultReplicasValue === "number" ? defaultReplicasValue : 1;
  const defaultStorageValue = get(ctx, ["version", "storageAccountType"]);
  const defaultStorage = isStorageType(defaultStorageValue) ? defaultStorageValue : "Standard_LRS";

  // Shallow ⇒ exactly one replica everywhere.
  if (modeValue === "Shallow") {
    const replicaCountPath = ["version", "replicaCount"];
    if (defaultReplicas !== 1 && out.open(replicaCountPath)) {
      out.add(
        "manifest.shallow-replicas",
        replicaCountPath,
        `\`version.replicaCount\` is ${defaultReplicas}, but \`version.replicationMode: Shallow\` allows exactly 1 replica per region.`,
        "Set `replicaCount: 1`, or use `replicationMode: Full` for more replicas.",
      );
    }
    for (const region of targetRegions) {
      if (region.replicas !== undefined && region.replicas !== 1 && out.open(region.replicasPath)) {
        out.add(
          "manifest.shallow-replicas",
          region.replicasPath,
          `\`${formatKeyPath(region.entryPath)}\` asks for ${region.replicas} replicas in ${region.name}, but \`version.replicationMode: Shallow\` allows exactly 1.`,
          "Remove the replica count (1 is used), or use `replicationMode: Full`.",
        );
      }
    }
  }

  // ZRS needs a region with availability zones.
  for (const region of targetRegions) {
    const storage = region.storageAccountType ?? defaultStorage;
    const info = findRegion(region.name);
    if (storage !== "Standard_ZRS" || info === undefined || info.zones) continue;
    const inherited = region.storageAccountType === undefined;
    const path = inherited ? region.entryPath : region.storagePath;
    if (!out.open(path)) continue;
    out.add(
      "manifest.zrs-unsupported",
      path,
      `\`${formatKeyPath(path)}\`: ${info.displayName} (${info.name}) has no availability zones, so Standard_ZRS replicas are impossible there${inherited ? " (Standard_ZRS comes from `version.storageAccountType`)" : ""}.`,
      `Use Standard_LRS or Premium_LRS for ${info.name}${inherited ? ", e.g. `" + info.name + "=1=Standard_LRS`" : ""}.`,
    );
  }
  if (location !== undefined && !targetRegions.some((region) => region.name === location)) {
    const info = findRegion(location);
    const storagePath = ["version", "storageAccountType"];
    if (info !== undefined && !info.zones && defaultStorage === "Standard_ZRS" && out.open(storagePath)) {
      out.add(
        "manifest.zrs-unsupported",
        storagePath,
        `\`version.storageAccountType\` is Standard_ZRS, but the source region ${info.name} (added to the target regions) has no availability zones.`,
        `List ${info.name} in \`version.targetRegions\` with Standard_LRS, e.g. \`- ${info.name}=1=Standard_LRS\`.`,
      );
    }
  }

  // Security type / architecture ⇒ Generation 2.
  const generationPath = ["image", "hyperVGeneration"];
  const generation = get(ctx, generationPath);
  const securityType = get(ctx, ["image", "securityType"]);
  const architecture = get(ctx, ["image", "architecture"]);
  if (generation === "V1" && out.open(generationPath)) {
    if (typeof securityType === "string" && securityType !== "Standard") {
      out.add(
        "manifest.needs-gen2",
        generationPath,
        `\`image.hyperVGeneration\` is V1, but \`image.securityType: ${securityType}\` needs a Generation 2 (V2) image.`,
        "Set `hyperVGeneration: V2` (and build a UEFI image), or remove `securityType`.",
      );
    } else if (architecture === "Arm64") {
      out.add(
        "manifest.needs-gen2",
        generationPath,
        "`image.hyperVGeneration` is V1, but Arm64 images exist only as Generation 2 (V2).",
        "Set `hyperVGeneration: V2`.",
      );
    }
  }

  // SecurityType belongs in its own key.
  const features = get(ctx, ["image", "features"]);
  if (features !== null && typeof features === "object") {
    for (const name of Object.keys(features)) {
      if (name.toLowerCase() === "securitytype" && out.open(["image", "features", name])) {
        out.add(
          "manifest.conflict",
          ["image", "features", name],
          "`image.features.SecurityType` is set through `image.securityType`, not as a feature.",
          `Move it: \`securityType: ${String((features as Record<string, unknown>)[name])}\` under \`image:\`.`,
          "key",
        );
      }
    }
  }

  // excludeFromLatest + afterReplication contradict each other.
  const promotePath = ["version", "promote"];
  if (get(ctx, ["version", "excludeFromLatest"]) === true && get(ctx, promotePath) === "afterReplication") {
    if (out.open(promotePath)) {
      out.add(
        "manifest.conflict",
        promotePath,
        "`version.promote: afterReplication` makes the version latest once replicated, but `version.excludeFromLatest: true` says it never becomes latest.",
        "Remove one of the two: `promote: immediate` (default) with excludeFromLatest, or excludeFromLatest: false.",
      );
    }
  }

  // recommended min ≤ max.
  for (const which of ["vCPUs", "memory"]) {
    const base = ["image", "recommended", which];
    const min = get(ctx, [...base, "min"]);
    const max = get(ctx, [...base, "max"]);
    if (typeof min === "number" && typeof max === "number" && min > max && out.open([...base, "min"])) {
      out.add(
        "manifest.range-inverted",
        [...base, "min"],
        `\`${formatKeyPath([...base, "min"])}\` (${min}) is greater than \`max\` (${max}).`,
        "Swap the values: min must not exceed max.",
      );
    }
  }

  // Disks: paths inside the repository; LUNs unique.
  checkDiskPath(ctx, out, ["disks", "os"]);
  const dataLuns = new Map<number, KeyPath>();
  const data = get(ctx, ["disks", "data"]);
  if (Array.isArray(data)) {
    data.forEach((_disk, index) => {
      checkDiskPath(ctx, out, ["disks", "data", index, "path"]);
      const lunPath = ["disks", "data", index, "lun"];
      const lun = get(ctx, lunPath);
      if (typeof lun !== "number" || !out.open(lunPath)) return;
      const first = dataLuns.get(lun);
      if (first !== undefined) {
        out.add(
          "manifest.duplicate-lun",
          lunPath,
          `\`${formatKeyPath(lunPath)}\` is ${lun}, already used by \`${formatKeyPath(first)}\`; each data disk needs its own LUN.`,
          "Give every data disk a different LUN (0–63).",
        );
      } else {
        dataLuns.set(lun, lunPath);
      }
    });
  }

  // Encryption of data disks refers to defined, distinct LUNs.
  const regions = get(ctx, ["version", "targetRegions"]);
  if (Array.isArray(regions)) {
    regions.forEach((_region, index) => {
      const list = get(ctx, ["version", "targetRegions", index, "encryption", "dataDisks"]);
      if (!Array.isArray(list)) return;
      const used = new Set<number>();
      list.forEach((_entry, entryIndex) => {
        const lunPath = ["version", "targetRegions", index, "encryption", "dataDisks", entryIndex, "lun"];
        const lun = get(ctx, lunPath);
        if (typeof lun !== "number" || !out.open(lunPath)) return;
        if (used.has(lun)) {
          out.add(
            "manifest.duplicate-lun",
            lunPath,
            `\`${formatKeyPath(lunPath)}\` names LUN ${lun} twice.`,
            "List each data disk's encryption once.",
          );
        } else if (!dataLuns.has(lun)) {
          out.add(
            "manifest.unknown-lun",
            lunPath,
            `\`${formatKeyPath(lunPath)}\` encrypts LUN ${lun}, but \`disks.data\` has no disk with that LUN.`,
            dataLuns.size === 0
              ? "Add the data disk under `disks.data`, or remove this entry."
              : `Use one of the data disk LUNs: ${[...dataLuns.keys()].join(", ")}.`,
          );
        }
        used.add(lun);
      });
    });
  }

  return { problems: out.problems, targetRegions, ...(location === undefined ? {} : { location }) };
}

function isStorageType(value: unknown): value is StorageAccountType {
  return typeof value === "string" && (STORAGE_ACCOUNT_TYPES as readonly string[]).includes(value);
}

function checkRegion(out: Collector, path: KeyPath, value: string, label: string): string | undefined {
  const region = findRegion(value);
  if (region !== undefined) return region.name;
  const suggestion = suggestRegions(value, 1)[0];
  out.add(
    "manifest.unknown-region",
    path,
    value.trim() === ""
      ? `${label} is empty; it must name an Azure region.`
      : `${label} ${JSON.stringify(value)} is not a known Azure region${suggestion === undefined ? "." : `: did you mean \`${suggestion}\`?`}`,
    suggestion === undefined
      ? "Use a region name such as westeurope or its display name (West Europe); `az account list-locations -o table` lists them."
      : `Write \`${suggestion}\` (display names like “${findRegion(suggestion)?.displayName ?? suggestion}” work too).`,
  );
  return undefined;
}

/** Parses `version.targetRegions` entries; reports shorthand and region problems. */
function parseTargetRegions(ctx: RuleContext, out: Collector): ParsedTargetRegion[] {
  const listPath = ["version", "targetRegions"];
  const list = get(ctx, listPath);
  if (!Array.isArray(list)) return [];
  const result: ParsedTargetRegion[] = [];
  list.forEach((entry: unknown, index) => {
    const entryPath = [...listPath, index];
    if (!out.open(entryPath)) return;
    if (typeof entry === "string") {
      const parsed = parseRegionShorthand(entry);
      if (!parsed.ok) {
        out.add(
          parsed.code,
          entryPath,
          `\`${formatKeyPath(entryPath)}\` ${JSON.stringify(entry)}: ${parsed.reason}.`,
          parsed.fix,
        );
        return;
      }
      const name = checkRegion(out, entryPath, parsed.region, `\`${formatKeyPath(entryPath)}\``);
      if (name === undefined) return;
      result.push({
        index,
        name,
        ...(parsed.replicas === undefined ? {} : { replicas: parsed.replicas }),
        ...(parsed.storageAccountType === undefined ? {} : { storageAccountType: parsed.storageAccountType }),
        storagePath: entryPath,
        replicasPath: entryPath,
        entryPath,
        fromShorthand: true,
      });
    } else if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
      const record = entry as Record<string, unknown>;
      const namePath = [...entryPath, "name"];
      if (typeof record["name"] !== "string" || !out.open(namePath)) return;
      const name = checkRegion(out, namePath, record["name"], `\`${formatKeyPath(namePath)}\``);
      if (name === undefined) return;
      const replicas = record["replicas"];
      const storage = record["storageAccountType"];
      result.push({
        index,
        name,
        ...(typeof replicas === "number" ? { replicas } : {}),
        ...(isStorageType(storage) ? { storageAccountType: storage } : {}),
        storagePath: [...entryPath, "storageAccountType"],
        replicasPath: [...entryPath, "replicas"],
        entryPath,
        fromShorthand: false,
      });
    }
  });
  return result;
}

export type ShorthandResult =
  | {
      readonly ok: true;
      readonly region: string;
      readonly replicas?: number;
      readonly storageAccountType?: StorageAccountType;
    }
  | { readonly ok: false; readonly code: string; readonly reason: string; readonly fix: string };

const SHORTHAND_FIX =
  "Write `region[=replicas[=storageType]]`, e.g. `eastus`, `eastus=2` or `eastus=2=Standard_ZRS`.";

/** Parses the az CLI form `region[=replicas[=storageType]]` (the region is not looked up here). */
export function parseRegionShorthand(text: string): ShorthandResult {
  const parts = text.split("=").map((part) => part.trim());
  if (parts.length > 3) {
    return {
      ok: false,
      code: "manifest.bad-region-shorthand",
      reason: `has ${parts.length} parts; the form is region[=replicas[=storageType]]`,
      fix: SHORTHAND_FIX,
    };
  }
  const [region = "", replicasText, storageText] = parts;
  if (region === "") {
    return {
      ok: false,
      code: "manifest.bad-region-shorthand",
      reason: "has no region name",
      fix: SHORTHAND_FIX,
    };
  }
  let replicas: number | undefined;
  if (replicasText !== undefined) {
    if (!/^\d+$/.test(replicasText)) {
      return {
        ok: false,
        code: "manifest.bad-region-shorthand",
        reason: `the replica count ${JSON.stringify(replicasText)} is not a whole number`,
        fix: SHORTHAND_FIX,
      };
    }
    replicas = Number(replicasText);
    if (replicas < 1 || replicas > MAX_REPLICAS) {
      return {
        ok: false,
        code: "manifest.out-of-range",
        reason: `the replica count ${replicas} must be between 1 and ${MAX_REPLICAS}`,
        fix: `Use 1 to ${MAX_REPLICAS} replicas, e.g. \`${region}=2\`.`,
      };
    }
  }
  let storageAccountType: StorageAccountType | undefined;
  if (storageText !== undefined) {
    if (!isStorageType(storageText)) {
      const suggestion = nearest(storageText, STORAGE_ACCOUNT_TYPES);
      return {
        ok: false,
        code: "manifest.invalid-value",
        reason: `the storage type ${JSON.stringify(storageText)} is not allowed${suggestion === undefined ? "" : ` (did you mean \`${suggestion}\`?)`}`,
        fix: `Use one of: ${STORAGE_ACCOUNT_TYPES.join(", ")} (case matters).`,
      };
    }
    storageAccountType = storageText;
  }
  return {
    ok: true,
    region,
    ...(replicas === undefined ? {} : { replicas }),
    ...(storageAccountType === undefined ? {} : { storageAccountType }),
  };
}

/** The shorthand for a target region (inverse of parseRegionShorthand). */
export function formatRegionShorthand(region: {
  readonly name: string;
  readonly replicas?: number;
  readonly storageAccountType?: StorageAccountType;
}): string {
  if (region.storageAccountType !== undefined) {
    return `${region.name}=${region.replicas ?? 1}=${region.storageAccountType}`;
  }
  return region.replicas === undefined ? region.name : `${region.name}=${region.replicas}`;
}

const DAY_MS = 86_400_000;

function checkDate(ctx: RuleContext, out: Collector, path: KeyPath, allowDuration: boolean): void {
  const value = get(ctx, path);
  if (typeof value !== "string" || !out.open(path)) return;
  const key = formatKeyPath(path);
  const accepted = allowDuration
    ? "a date YYYY-MM-DD or a number of days such as P180D"
    : "a date YYYY-MM-DD";
  const duration = /^P(\d+)D$/.exec(value);
  if (duration !== null) {
    if (!allowDuration) {
      out.add(
        "manifest.bad-date",
        path,
        `\`${key}\` is the duration ${value}, but an image definition's end of life must be a date.`,
        "Write a date YYYY-MM-DD.",
      );
    } else if (Number(duration[1]) < 1 || Number(duration[1]) > 36_500) {
      out.add(
        "manifest.bad-date",
        path,
        `\`${key}\` is ${value}; the number of days must be between 1 and 36500.`,
        "Write for example P180D.",
      );
    }
    return;
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) {
    out.add(
      "manifest.bad-date",
      path,
      `\`${key}\` is ${describeValue(value)}, which is not ${accepted}.`,
      allowDuration
        ? "Write e.g. 2027-06-01 or P180D (ISO 8601 days only)."
        : "Write e.g. 2027-06-01 (ISO 8601, no time).",
    );
    return;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const check = new Date(time);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    out.add(
      "manifest.bad-date",
      path,
      `\`${key}\` is ${value}, which is not a calendar date.`,
      "Write an existing date YYYY-MM-DD.",
    );
    return;
  }
  const today = Date.UTC(ctx.now.getUTCFullYear(), ctx.now.getUTCMonth(), ctx.now.getUTCDate());
  if (time <= today) {
    out.add(
      "manifest.end-of-life-past",
      path,
      `\`${key}\` is ${value}, which is not in the future (today is ${new Date(today).toISOString().slice(0, 10)}).`,
      allowDuration
        ? "Move the date into the future, or use a duration after publishing such as P180D."
        : "Move the date into the future, or remove it.",
    );
  } else if (time > today + 100 * 365 * DAY_MS) {
    out.add(
      "manifest.bad-date",
      path,
      `\`${key}\` is ${value}, more than 100 years ahead.`,
      "Check the year, or remove the key.",
    );
  }
}

/** Disk paths are relative to the repository and must stay inside it. */
function checkDiskPath(ctx: RuleContext, out: Collector, path: KeyPath): void {
  const value = get(ctx, path);
  if (typeof value !== "string" || !out.open(path)) return;
  const key = formatKeyPath(path);
  const fix =
    "Write a path relative to the repository root, e.g. out/image.vhd; for a disk outside the repository use the action's `vhd` input.";
  if (/^([A-Za-z]:|[\\/])/.test(value) || value.startsWith("~")) {
    out.add("manifest.path-outside", path, `\`${key}\` ${JSON.stringify(value)} is an absolute path.`, fix);
    return;
  }
  const depth = value
    .split(/[\\/]+/)
    .filter((part) => part !== "" && part !== ".")
    .reduce<number | undefined>((level, part) => {
      if (level === undefined || level < 0) return level;
      return part === ".." ? level - 1 : level + 1;
    }, 0);
  if (depth !== undefined && depth < 0) {
    out.add(
      "manifest.path-outside",
      path,
      `\`${key}\` ${JSON.stringify(value)} leaves the repository through "..".`,
      fix,
    );
  } else if (depth === 0) {
    out.add(
      "manifest.path-outside",
      path,
      `\`${key}\` ${JSON.stringify(value)} names a directory, not a file.`,
      fix,
    );
  }
}
