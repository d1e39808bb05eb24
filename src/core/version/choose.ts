/**
 * Which version to publish (PRODUCT §3). Pure: the caller reads the gallery and the VHD digest.
 *
 * Decisions (documented in the README):
 *  - Every existing version counts, whatever its provisioning state: a Failed or Creating version
 *    still holds its name. A version in any state that was made from the same VHD digest is
 *    resumable (the engine carries on from where it stopped, re-creating a Failed one).
 *  - Without an explicit version, if the gallery's highest version was made from this very VHD, the
 *    run resumes it instead of publishing the same VHD again under the next number (a re-run of a
 *    failed push build must not produce a duplicate).
 *  - Existing names that are not MAJOR.MINOR.PATCH are ignored with a warning.
 *  - With no `version.number` and an empty gallery the first version is 1.0.0.
 *  - Digests are compared case-insensitively.
 */
import type { Bump } from "../manifest/model.ts";
import { InputError } from "../problems.ts";
import {
  bumpVersion,
  checkImageVersion,
  compareImageVersions,
  formatImageVersion,
  parseImageVersion,
} from "./image-version.ts";
import type { ImageVersion } from "./image-version.ts";

export const FIRST_VERSION = "1.0.0";

export interface ExistingVersion {
  readonly name: string;
  /** The VHD digest recorded in the version's tags by sig-publish (absent for foreign versions). */
  readonly digest?: string;
  /** Azure's provisioningState: Succeeded, Failed, Creating, Updating, Deleting, Migrating. */
  readonly provisioningState?: string;
}

export interface ChooseVersionInput {
  /** The `version` input, or the version from the release tag. */
  readonly explicit?: string;
  /** Where `explicit` came from, for messages; default `the version input`. */
  readonly explicitLabel?: string;
  /** `version.number` from the manifest. */
  readonly manifestNumber?: string;
  readonly bump: Bump;
  /** The gallery's versions of this image; undefined when the gallery could not be read. */
  readonly existing: readonly ExistingVersion[] | undefined;
  /** The VHD's digest; undefined when not computed yet. */
  readonly vhdDigest?: string;
  /** Gallery and image names, for messages. */
  readonly galleryName?: string;
  readonly imageName?: string;
}

export type VersionReason = "explicit" | "manifest" | "bumped" | "first" | "resume";

export interface VersionChoice {
  readonly version: string;
  readonly reason: VersionReason;
  /** True when the gallery could not be read: the real version is this one or higher ("at least"). */
  readonly lowerBound: boolean;
  /** True when the chosen version already exists and was made from the same VHD digest. */
  readonly resume: boolean;
  /**
   * True when the decision depends on the VHD digest, which was not given: an existing version
   * equal to the candidate (or the gallery's highest) carries a digest tag. Compute the digest and
   * call again; `version` is the answer if the digests turn out to differ.
   */
  readonly needsDigestToDecide?: boolean;
  /** The highest valid version in the gallery, when known. */
  readonly highestExisting?: string;
  /** For `bumped`: the version that was bumped. */
  readonly bumpedFrom?: string;
  /** Provisioning state of the existing version being resumed. */
  readonly resumeState?: string;
  /** One sentence saying why this version, for logs and the plan. */
  readonly explanation: string;
  /** Non-fatal findings (invalid names in the gallery, explicit version not checked, …). */
  readonly warnings: readonly string[];
}

interface ParsedExisting {
  readonly entry: ExistingVersion;
  readonly version: ImageVersion;
}

function sameDigest(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function galleryWords(input: ChooseVersionInput): string {
  if (input.galleryName !== undefined && input.imageName !== undefined) {
    return `image ${input.imageName} in gallery ${input.galleryName}`;
  }
  return "the gallery";
}

export function chooseVersion(input: ChooseVersionInput): VersionChoice {
  const warnings: string[] = [];
  const valid: ParsedExisting[] = [];
  for (const entry of input.existing ?? []) {
    const check = checkImageVersion(entry.name);
    if (check.ok && entry.name.trim() === formatImageVersion(check.version)) {
      valid.push({ entry, version: check.version });
    } else {
      warnings.push(
        `Ignoring existing version "${entry.name}": it is not MAJOR.MINOR.PATCH (${check.ok ? "not in canonical form" : check.reason}).`,
      );
    }
  }
  valid.sort((a, b) => compareImageVersions(a.version, b.version));
  const highest = valid.at(-1);
  const highestText = highest === undefined ? undefined : formatImageVersion(highest.version);
  const where = galleryWords(input);
  const base = { warnings, ...(highestText === undefined ? {} : { highestExisting: highestText }) };

  if (input.explicit !== undefined) {
    const label = input.explicitLabel ?? "the version input";
    const explicit = parseImageVersion(input.explicit, { label });
    const text = formatImageVersion(explicit);
    if (input.existing === undefined) {
      return {
        ...base,
        version: text,
        reason: "explicit",
        lowerBound: false,
        resume: false,
        explanation: `${text} from ${label}; not checked against the gallery (no read access).`,
        warnings: [
          ...warnings,
          `Version ${text} was not checked against the gallery (no read access): publishing fails if it is not higher than every existing version.`,
        ],
      };
    }
    const equal = valid.find((e) => compareImageVersions(e.version, explicit) === 0);
    if (equal !== undefined) {
      if (sameDigest(equal.entry.digest, input.vhdDigest)) {
        return {
          ...base,
          version: text,
          reason: "explicit",
          lowerBound: false,
          resume: true,
          ...stateOf(equal.entry),
          explanation: `${text} from ${label} already exists, made from the same VHD: resuming it.`,
        };
      }
      if (equal.entry.digest !== undefined && input.vhdDigest === undefined) {
        return {
          ...base,
          version: text,
          reason: "explicit",
          lowerBound: false,
          resume: false,
          needsDigestToDecide: true,
          explanation: `${text} from ${label} already exists; whether this is a resume depends on the VHD digest.`,
        };
      }
      throw conflictEqual(text, label, equal.entry, input, where, highestText ?? text);
    }
    if (highest !== undefined && compareImageVersions(explicit, highest.version) < 0) {
      const next = formatImageVersion(safeBump(highest.version, "patch") ?? highest.version);
      throw new InputError({
        code: "version.too-low",
        message: `Version ${text} (${label}) is lower than ${highestText ?? ""}, the highest version of ${where}; versions only go up.`,
        fix: `Use a version higher than ${highestText ?? ""} (e.g. ${next}), or omit the version to bump automatically.`,
      });
    }
    return {
      ...base,
      version: text,
      reason: "explicit",
      lowerBound: false,
      resume: false,
      explanation:
        highestText === undefined
          ? `${text} from ${label}; ${where} holds no version yet.`
          : `${text} from ${label}; higher than ${highestText}, the highest version of ${where}.`,
    };
  }

  const line =
    input.manifestNumber === undefined
      ? undefined
      : parseImageVersion(input.manifestNumber, { key: "version.number" });
  const lineText = line === undefined ? undefined : formatImageVersion(line);

  if (input.existing === undefined) {
    const version = lineText ?? FIRST_VERSION;
    return {
      ...base,
      version,
      reason: lineText === undefined ? "first" : "manifest",
      lowerBound: true,
      resume: false,
      explanation: `At least ${version}: the gallery could not be read (no credentials), so existing versions are unknown.`,
    };
  }

  if (highest === undefined || (line !== undefined && compareImageVersions(highest.version, line) < 0)) {
    if (lineText !== undefined) {
      return {
        ...base,
        version: lineText,
        reason: "manifest",
        lowerBound: false,
        resume: false,
        explanation:
          highestText === undefined
            ? `${lineText} from version.number: ${where} holds no version yet.`
            : `${lineText} from version.number: higher than ${highestText}, the highest version of ${where}.`,
      };
    }
    return {
      ...base,
      version: FIRST_VERSION,
      reason: "first",
      lowerBound: false,
      resume: false,
      explanation: `${FIRST_VERSION}: ${where} holds no version and the manifest sets no version.number.`,
    };
  }

  // The gallery holds a version at or above the line: bump its highest, unless it is this very VHD.
  const top = highest;
  const topText = formatImageVersion(top.version);
  if (sameDigest(top.entry.digest, input.vhdDigest)) {
    const equalsLine = line !== undefined && compareImageVersions(top.version, line) === 0;
    return {
      ...base,
      version: topText,
      reason: equalsLine ? "manifest" : "resume",
      lowerBound: false,
      resume: true,
      ...stateOf(top.entry),
      explanation: `${topText}, the highest version of ${where}, was made from this same VHD: resuming it instead of publishing a duplicate.`,
    };
  }
  const bumpedText = formatImageVersion(bumpVersion(top.version, input.bump));
  const because =
    lineText === undefined
      ? `bumped (${input.bump}) from ${topText}, the highest version of ${where}`
      : `bumped (${input.bump}) from ${topText}, the highest version of ${where}, which is at or above version.number ${lineText}`;
  return {
    ...base,
    version: bumpedText,
    reason: "bumped",
    lowerBound: false,
    resume: false,
    bumpedFrom: topText,
    ...(top.entry.digest !== undefined && input.vhdDigest === undefined ? { needsDigestToDecide: true } : {}),
    explanation: `${bumpedText}: ${because}.`,
  };
}

function stateOf(entry: ExistingVersion): { resumeState?: string } {
  return entry.provisioningState === undefined ? {} : { resumeState: entry.provisioningState };
}

function safeBump(version: ImageVersion, level: Bump): ImageVersion | undefined {
  try {
    return bumpVersion(version, level);
  } catch {
    return undefined;
  }
}

function conflictEqual(
  text: string,
  label: string,
  existing: ExistingVersion,
  input: ChooseVersionInput,
  where: string,
  highestText: string,
): InputError {
  const next = safeBump(parseImageVersion(highestText), "patch");
  const higher = next === undefined ? "a higher version" : `${formatImageVersion(next)} or higher`;
  const from =
    existing.digest === undefined
      ? "was not made by sig-publish from this VHD (it has no digest tag)"
      : `was made from a different VHD (digest ${existing.digest}, this VHD is ${input.vhdDigest ?? "unknown"})`;
  const failed = existing.provisioningState?.toLowerCase() === "failed";
  const deleteHint = failed
    ? ` Or, since that version failed to provision, delete it first (az sig image-version delete --gallery-image-version ${text} …) and run again.`
    : "";
  return new InputError({
    code: "version.conflict",
    message: `Version ${text} (${label}) already exists in ${where} and ${from}: this is a conflict, never an overwrite.`,
    fix: `Pick ${higher}, or omit the version to bump automatically.${deleteHint}`,
  });
}
