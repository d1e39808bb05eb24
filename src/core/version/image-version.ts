/**
 * Azure Compute Gallery image version numbers (PRODUCT §3): `MAJOR.MINOR.PATCH`, each part a
 * non-negative 32-bit integer written without leading zeros, and nothing else (no `v` prefix, no
 * `-rc1` or `+build` suffix). Pure: no I/O, no SDKs.
 */
import type { Bump } from "../manifest/model.ts";
import { InputError } from "../problems.ts";
import type { Problem, SourceLocation } from "../problems.ts";

/** The largest value of one version part: Azure stores each part as a signed 32-bit integer. */
export const MAX_VERSION_PART = 2_147_483_647;

export interface ImageVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Where a version string came from, so that errors can point at it. */
export interface VersionSource {
  /** What the value is, in words: `the version input`, `version.number`, `release tag v1.2`. */
  readonly label?: string;
  /** Dotted manifest key, when the value comes from the manifest. */
  readonly key?: string;
  readonly location?: SourceLocation;
}

export type VersionCheck =
  | { readonly ok: true; readonly version: ImageVersion }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

const PART_NAMES = ["MAJOR", "MINOR", "PATCH"] as const;

/**
 * Checks a version string without throwing. Surrounding whitespace is ignored; everything else must
 * be exact. On failure `reason` says exactly what is wrong and `fix` what to write instead.
 */
export function checkImageVersion(text: string): VersionCheck {
  const value = text.trim();
  const example = "e.g. 1.4.0";
  if (value === "") {
    return { ok: false, reason: "is empty", fix: `write MAJOR.MINOR.PATCH, ${example}` };
  }
  if (/\s/.test(value)) {
    return {
      ok: false,
      reason: "contains whitespace",
      fix: `write MAJOR.MINOR.PATCH without spaces, ${example}`,
    };
  }
  const prefixed = /^[vV](\d.*)$/.exec(value);
  if (prefixed !== null) {
    const rest = prefixed[1] ?? "";
    const inner = checkImageVersion(rest);
    return inner.ok
      ? { ok: false, reason: `starts with "${value[0] ?? "v"}"`, fix: `write ${rest} (no prefix)` }
      : inner;
  }
  const suffixed = /^(\d+\.\d+\.\d+)([-+].*)$/.exec(value);
  if (suffixed !== null) {
    const core = suffixed[1] ?? "";
    const suffix = suffixed[2] ?? "";
    const kind = suffix.startsWith("+") ? "build metadata" : "pre-release";
    return {
      ok: false,
      reason: `has a ${kind} suffix "${suffix}", which Azure Compute Gallery does not allow`,
      fix: `use plain MAJOR.MINOR.PATCH such as ${checkImageVersion(core).ok ? core : "1.4.0"}; publish pre-releases as their own patch versions or to another image definition`,
    };
  }
  const parts = value.split(".");
  if (parts.length !== 3) {
    return {
      ok: false,
      reason: `has ${parts.length} part${parts.length === 1 ? "" : "s"}; it needs exactly three: MAJOR.MINOR.PATCH`,
      fix: `write all three parts, ${suggestThreeParts(parts)}`,
    };
  }
  const numbers: number[] = [];
  for (const [index, part] of parts.entries()) {
    const name = PART_NAMES[index] ?? "part";
    if (part === "") {
      return {
        ok: false,
        reason: `has an empty ${name} part`,
        fix: `write a number for each part, ${example}`,
      };
    }
    if (/^-\d+$/.test(part)) {
      return {
        ok: false,
        reason: `has a negative ${name} part (${part})`,
        fix: `use a number from 0 to ${MAX_VERSION_PART}`,
      };
    }
    if (!/^\d+$/.test(part)) {
      return {
        ok: false,
        reason: `has a ${name} part "${part}" that is not a whole number`,
        fix: `use only digits in each part, ${example}`,
      };
    }
    if (part.length > 1 && part.startsWith("0")) {
      const trimmed = part.replace(/^0+(?=\d)/, "");
      return {
        ok: false,
        reason: `has a leading zero in the ${name} part ("${part}")`,
        fix: `write ${trimmed} instead of ${part}`,
      };
    }
    // Compare as strings first so that huge inputs never lose precision.
    if (part.length > 10 || Number(part) > MAX_VERSION_PART) {
      return {
        ok: false,
        reason: `has a ${name} part ${part} larger than ${MAX_VERSION_PART}, the largest 32-bit integer Azure accepts`,
        fix: `use a number from 0 to ${MAX_VERSION_PART}`,
      };
    }
    numbers.push(Number(part));
  }
  const [major = 0, minor = 0, patch = 0] = numbers;
  return { ok: true, version: { major, minor, patch } };
}

function suggestThreeParts(parts: readonly string[]): string {
  if (parts.every((part) => /^(0|[1-9]\d{0,8})$/.test(part)) && parts.length < 3) {
    const filled = [...parts, "0", "0"].slice(0, 3);
    return `e.g. ${filled.join(".")}`;
  }
  return "e.g. 1.4.0";
}

/** True when `text` is a valid image version (see {@link checkImageVersion}). */
export function isImageVersion(text: string): boolean {
  return checkImageVersion(text).ok;
}

/**
 * Parses `MAJOR.MINOR.PATCH`. Throws an {@link InputError} (code `version.invalid`) saying why the
 * text is not a version and how to fix it.
 */
export function parseImageVersion(text: string, source: VersionSource = {}): ImageVersion {
  const check = checkImageVersion(text);
  if (check.ok) return check.version;
  const label = source.label === undefined ? (source.key ?? "Version") : capitalise(source.label);
  const problem: Problem = {
    code: "version.invalid",
    message: `${label} "${text}" is not a valid image version: it ${check.reason}.`,
    fix: `${capitalise(check.fix)} (MAJOR.MINOR.PATCH, each 0–${MAX_VERSION_PART}, no leading zeros, no suffix).`,
    ...(source.key === undefined ? {} : { key: source.key }),
    ...(source.location === undefined ? {} : { location: source.location }),
  };
  throw new InputError(problem);
}

export function formatImageVersion(version: ImageVersion): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareImageVersions(a: ImageVersion, b: ImageVersion): number {
  return Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch);
}

export function imageVersionsEqual(a: ImageVersion, b: ImageVersion): boolean {
  return compareImageVersions(a, b) === 0;
}

/** The next version at `level`: patch 1.2.3→1.2.4, minor 1.2.3→1.3.0, major 1.2.3→2.0.0. */
export function bumpVersion(version: ImageVersion, level: Bump): ImageVersion {
  const overflow = (name: string, value: number, next: string): never => {
    throw new InputError({
      code: "version.overflow",
      message: `Cannot bump ${formatImageVersion(version)} by ${level}: the ${name} part ${value} is already ${MAX_VERSION_PART}, the largest 32-bit integer Azure accepts.`,
      fix: next,
    });
  };
  switch (level) {
    case "patch":
      if (version.patch >= MAX_VERSION_PART) {
        overflow("PATCH", version.patch, "bump the minor or major part instead (`bump: minor`).");
      }
      return { major: version.major, minor: version.minor, patch: version.patch + 1 };
    case "minor":
      if (version.minor >= MAX_VERSION_PART) {
        overflow("MINOR", version.minor, "bump the major part instead (`bump: major`).");
      }
      return { major: version.major, minor: version.minor + 1, patch: 0 };
    case "major":
      if (version.major >= MAX_VERSION_PART) {
        overflow("MAJOR", version.major, "publish to a new image definition (`image.name`).");
      }
      return { major: version.major + 1, minor: 0, patch: 0 };
  }
}

function capitalise(text: string): string {
  return text.length === 0 ? text : `${text[0]?.toUpperCase() ?? ""}${text.slice(1)}`;
}
