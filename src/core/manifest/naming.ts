/**
 * Azure naming rules for the resources a manifest names. Sources: Microsoft Learn, "Naming rules
 * and restrictions for Azure resources" (Microsoft.Compute galleries and galleries/images,
 * Microsoft.Resources resourcegroups, Microsoft.Storage storageAccounts and blob containers).
 * Pure: no I/O.
 *
 * Each rule has a JSON-Schema-compatible `pattern` (used by the schema, so editors flag bad names
 * while typing) and a `check` that explains precisely what is wrong (used by the loader).
 */

import { checkImageVersion, MAX_VERSION_PART } from "../version/image-version.ts";

export interface NamingRule {
  /** What the value names, for messages: `gallery name`. */
  readonly what: string;
  readonly minLength: number;
  readonly maxLength: number;
  /** ECMAScript / JSON Schema pattern for the whole value (anchored). */
  readonly pattern: string;
  /** The rule in words, for the schema description and for fixes. */
  readonly summary: string;
  readonly example: string;
  /** Undefined when valid, else the reason (“is 81 characters long; the limit is 80”). */
  check(value: string): string | undefined;
}

const ALNUM = /^[A-Za-z0-9]$/;

function lengthReason(value: string, min: number, max: number): string | undefined {
  const length = [...value].length;
  if (length < min) {
    return length === 0
      ? "is empty"
      : `is ${length} character${length === 1 ? "" : "s"} long; it needs at least ${min}`;
  }
  if (length > max) return `is ${length} characters long; the limit is ${max}`;
  return undefined;
}

function badCharsReason(value: string, allowed: RegExp, allowedText: string): string | undefined {
  const bad = [...new Set([...value].filter((ch) => !allowed.test(ch)))];
  if (bad.length === 0) return undefined;
  const shown = bad.map((ch) => (ch === " " ? "space" : `"${ch}"`)).join(", ");
  return `contains ${shown}; only ${allowedText} are allowed`;
}

function rule(spec: Omit<NamingRule, "check">, check: (value: string) => string | undefined): NamingRule {
  return { ...spec, check };
}

/** Microsoft.Compute/galleries: 1–80, alphanumerics, underscores and periods; starts and ends with an alphanumeric. */
export const GALLERY_NAME: NamingRule = rule(
  {
    what: "gallery name",
    minLength: 1,
    maxLength: 80,
    pattern: "^[A-Za-z0-9](?:[A-Za-z0-9_.]{0,78}[A-Za-z0-9])?$",
    summary:
      "1–80 characters: letters, digits, underscores and periods, starting and ending with a letter or digit",
    example: "contosoGallery",
  },
  (value) =>
    lengthReason(value, 1, 80) ??
    badCharsReason(value, /^[A-Za-z0-9_.]$/, "letters, digits, underscores (_) and periods (.)") ??
    edgeReason(value, "a letter or digit"),
);

/** Microsoft.Compute/galleries/images: 1–80, alphanumerics, underscores, hyphens and periods; starts and ends with an alphanumeric. */
export const IMAGE_DEFINITION_NAME: NamingRule = rule(
  {
    what: "image definition name",
    minLength: 1,
    maxLength: 80,
    pattern: "^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9])?$",
    summary:
      "1–80 characters: letters, digits, hyphens, underscores and periods, starting and ending with a letter or digit",
    example: "ubuntu-web",
  },
  (value) =>
    lengthReason(value, 1, 80) ??
    badCharsReason(
      value,
      /^[A-Za-z0-9_.-]$/,
      "letters, digits, hyphens (-), underscores (_) and periods (.)",
    ) ??
    edgeReason(value, "a letter or digit"),
);

/** Image identifier parts (publisher, offer, SKU): 1–128, alphanumerics, hyphens, underscores and periods; starts and ends with an alphanumeric. */
export const IMAGE_IDENTIFIER: NamingRule = rule(
  {
    what: "image identifier",
    minLength: 1,
    maxLength: 128,
    pattern: "^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,126}[A-Za-z0-9])?$",
    summary:
      "1–128 characters: letters, digits, hyphens, underscores and periods, starting and ending with a letter or digit",
    example: "ubuntu-24-gen2",
  },
  (value) =>
    lengthReason(value, 1, 128) ??
    badCharsReason(
      value,
      /^[A-Za-z0-9_.-]$/,
      "letters, digits, hyphens (-), underscores (_) and periods (.)",
    ) ??
    edgeReason(value, "a letter or digit"),
);

/** Microsoft.Resources/resourcegroups: 1–90, Unicode letters and digits, underscores, hyphens, periods and parentheses; cannot end with a period. */
export const RESOURCE_GROUP_NAME: NamingRule = rule(
  {
    what: "resource group name",
    minLength: 1,
    maxLength: 90,
    pattern: "^[-\\w.()\\p{L}\\p{N}]{0,89}[-\\w()\\p{L}\\p{N}]$",
    summary:
      "1–90 characters: letters (any script), digits, underscores, hyphens, periods and parentheses, not ending with a period",
    example: "rg-images",
  },
  (value) => {
    const reason =
      lengthReason(value, 1, 90) ??
      badCharsReason(
        value,
        /^[-\w.()\p{L}\p{N}]$/u,
        "letters, digits, underscores (_), hyphens (-), periods (.) and parentheses",
      );
    if (reason !== undefined) return reason;
    return value.endsWith(".") ? "ends with a period, which Azure does not allow" : undefined;
  },
);

/** Microsoft.Storage/storageAccounts: 3–24, lowercase letters and digits, globally unique. */
export const STORAGE_ACCOUNT_NAME: NamingRule = rule(
  {
    what: "storage account name",
    minLength: 3,
    maxLength: 24,
    pattern: "^[a-z0-9]{3,24}$",
    summary: "3–24 characters: lowercase letters and digits only (no hyphens), unique across Azure",
    example: "contosoimages",
  },
  (value) => {
    const reason = lengthReason(value, 3, 24);
    if (reason !== undefined) return reason;
    if (/[A-Z]/.test(value) && /^[a-zA-Z0-9]+$/.test(value)) {
      return "contains uppercase letters; storage account names are lowercase only";
    }
    return badCharsReason(value, /^[a-z0-9]$/, "lowercase letters and digits");
  },
);

/** Blob container: 3–63, lowercase letters, digits and hyphens; starts and ends with a letter or digit; no `--`. */
export const CONTAINER_NAME: NamingRule = rule(
  {
    what: "blob container name",
    minLength: 3,
    maxLength: 63,
    pattern: "^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$",
    summary:
      "3–63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
    example: "vhds",
  },
  (value) => {
    const reason =
      lengthReason(value, 3, 63) ??
      (/[A-Z]/.test(value) && /^[a-zA-Z0-9-]+$/.test(value)
        ? "contains uppercase letters; container names are lowercase only"
        : undefined) ??
      badCharsReason(value, /^[a-z0-9-]$/, "lowercase letters, digits and hyphens (-)");
    if (reason !== undefined) return reason;
    if (value.includes("--")) return "contains two hyphens in a row (--), which Azure does not allow";
    return edgeReason(value, "a lowercase letter or digit");
  },
);

/** A subscription ID: a GUID such as 00000000-0000-0000-0000-000000000000. */
export const SUBSCRIPTION_ID: NamingRule = rule(
  {
    what: "subscription ID",
    minLength: 36,
    maxLength: 36,
    pattern: "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
    summary: "a GUID: 8-4-4-4-12 hexadecimal digits",
    example: "00000000-0000-0000-0000-000000000000",
  },
  (value) =>
    /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/.test(value)
      ? undefined
      : "is not a GUID (8-4-4-4-12 hexadecimal digits); use the subscription ID, not its display name",
);

function edgeReason(value: string, what: string): string | undefined {
  const first = value[0] ?? "";
  const last = value[value.length - 1] ?? "";
  if (!ALNUM.test(first) || (what.includes("lowercase") && /[A-Z]/.test(first))) {
    return `starts with "${first}"; it must start with ${what}`;
  }
  if (!ALNUM.test(last) || (what.includes("lowercase") && /[A-Z]/.test(last))) {
    return `ends with "${last}"; it must end with ${what}`;
  }
  return undefined;
}

/** The largest value of one version part: Azure stores each part as a signed 32-bit integer. */
export const MAX_INT32 = MAX_VERSION_PART;

/**
 * An image version `MAJOR.MINOR.PATCH` (the version rules of src/core/version). Returns undefined
 * when valid, else the reason followed by the fix.
 */
export function checkVersionNumber(value: string): string | undefined {
  const check = checkImageVersion(value);
  return check.ok ? undefined : `${check.reason}; ${check.fix}`;
}

/** JSON Schema pattern of a well-formed version (int32 range is checked by the loader). */
export const VERSION_PATTERN = "^(0|[1-9][0-9]{0,9})\\.(0|[1-9][0-9]{0,9})\\.(0|[1-9][0-9]{0,9})$";
