/**
 * Schema validation (Ajv, all errors) mapped to Problems that name the key, point at the YAML node
 * (the key for unknown keys, the value for wrong values) and say how to fix it.
 */
import { Ajv } from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { Problem } from "../problems.ts";
import { describeValue, formatKeyPath, pathPattern, pointerToPath, truncate, valueAt } from "./keypath.ts";
import type { KeyPath } from "./keypath.ts";
import { editDistance } from "./regions.ts";
import { ManifestSchema } from "./schema.ts";
import { keyLocation, valueLocation } from "./source.ts";
import type { ParsedSource } from "./source.ts";

/**
 * Values whose format is checked by `rules.ts` with a precise explanation (Azure naming rules,
 * version numbers, dates, regions): the schema's pattern/length errors for them are dropped here.
 */
export const RULE_OWNED_PATHS: ReadonlySet<string> = new Set([
  "gallery.subscription",
  "gallery.resourceGroup",
  "gallery.name",
  "gallery.location",
  "image.name",
  "image.publisher",
  "image.offer",
  "image.sku",
  "image.endOfLifeDate",
  "version.number",
  "version.endOfLifeDate",
  "version.targetRegions.*",
  "version.targetRegions.*.name",
  "staging.storageAccount",
  "staging.resourceGroup",
  "staging.container",
]);

const FORMAT_KEYWORDS = new Set(["pattern", "minLength", "maxLength", "format"]);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addFormat("uri", (value: string) => {
      try {
        const url = new URL(value);
        return url.protocol === "https:" || url.protocol === "http:";
      } catch {
        return false;
      }
    });
    compiled = ajv.compile(ManifestSchema);
  }
  return compiled;
}

/** Suggests the closest candidate (“did you mean …”) by edit distance, case-insensitively. */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(input.length / 3));
  return best.distance <= limit ? best.candidate : undefined;
}

function typeWords(type: unknown): string {
  const list = Array.isArray(type) ? (type as string[]) : [String(type)];
  const words = list.map((t) =>
    t === "object"
      ? "a mapping"
      : t === "array"
        ? "a list"
        : t === "integer"
          ? "a whole number"
          : t === "number"
            ? "a number"
            : t === "boolean"
              ? "true or false"
              : t === "string"
                ? "a string"
                : t,
  );
  return words.length === 1
    ? (words[0] ?? "")
    : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

function typeFix(type: unknown, value: unknown, schema: Record<string, unknown> | undefined): string {
  const examples = schema?.["examples"];
  const example = Array.isArray(examples) && examples.length > 0 ? examples[0] : undefined;
  const shown = example === undefined ? "" : ` such as ${JSON.stringify(example)}`;
  if (type === "string" && (typeof value === "number" || typeof value === "boolean")) {
    return `Quote the value so YAML reads it as text: "${String(value)}"${shown === "" ? "" : ` (e.g. ${JSON.stringify(example)})`}.`;
  }
  if (type === "object") return "Write the keys indented under this key (a mapping), not a value or a list.";
  if (type === "array") return "Write a list: one `- item` per line, or `[a, b]`.";
  if (type === "boolean") return "Write true or false (without quotes).";
  if (type === "integer" || type === "number") return `Write a number without quotes${shown}.`;
  return `Write ${typeWords(type)}${shown}.`;
}

interface Mapped {
  readonly path: KeyPath;
  readonly problem: Problem;
  /** Lower wins when two errors hit the same path. */
  readonly rank: number;
}

/** Validates plain data against the manifest schema; returns problems with positions. */
export function validateAgainstSchema(data: unknown, source: ParsedSource): Problem[] {
  const validate = validator();
  if (validate(data)) return [];
  const errors = selectAnyOfBranches(validate.errors ?? [], data);
  const mapped: Mapped[] = [];
  for (const error of errors) {
    const result = mapError(error, data, source);
    if (result !== undefined) mapped.push(result);
  }
  // One problem per key: the most fundamental one (type before enum before range …).
  const byKey = new Map<string, Mapped>();
  for (const item of mapped) {
    const key = `${item.problem.code === "manifest.unknown-key" || item.problem.code === "manifest.missing-key" ? item.problem.code : ""}:${formatKeyPath(item.path)}`;
    const previous = byKey.get(key);
    if (previous === undefined || item.rank < previous.rank) byKey.set(key, item);
  }
  // A typo of a required key (`resourcegroup:`) is one mistake: keep the unknown-key problem,
  // whose message suggests the right name, and drop the missing-key problem it causes.
  const suggested = new Set(
    [...byKey.values()].flatMap((item) => {
      const suggestion = /did you mean `([^`]+)`/.exec(item.problem.message)?.[1];
      return item.problem.code === "manifest.unknown-key" && suggestion !== undefined
        ? [formatKeyPath([...item.path.slice(0, -1), suggestion])]
        : [];
    }),
  );
  // A merge key (`<<: *defaults`) would have supplied the keys; report the merge key only.
  const merging = new Set(
    [...byKey.values()]
      .filter(
        (item) => item.problem.code === "manifest.unknown-key" && item.path[item.path.length - 1] === "<<",
      )
      .map((item) => formatKeyPath(item.path.slice(0, -1))),
  );
  return [...byKey.values()]
    .filter(
      (item) =>
        !(
          item.problem.code === "manifest.missing-key" &&
          (suggested.has(formatKeyPath(item.path)) || merging.has(formatKeyPath(item.path.slice(0, -1))))
        ),
    )
    .map((item) => item.problem);
}

/**
 * Ajv reports the errors of every `anyOf` branch. Keep only the branch that matches the value's
 * type (a string target region is checked as a string, a mapping as a mapping); when no branch
 * matches, keep the anyOf error itself, reported as a type error.
 */
function selectAnyOfBranches(errors: readonly ErrorObject[], data: unknown): ErrorObject[] {
  const anyOfs = errors.filter((error) => error.keyword === "anyOf");
  if (anyOfs.length === 0) return [...errors];
  const drop = new Set<ErrorObject>();
  for (const anyOf of anyOfs) {
    const base = anyOf.schemaPath;
    const inside = errors.filter(
      (error) =>
        error !== anyOf &&
        error.schemaPath.startsWith(`${base}/`) &&
        (error.instancePath === anyOf.instancePath ||
          error.instancePath.startsWith(`${anyOf.instancePath}/`)),
    );
    const branches = new Map<number, ErrorObject[]>();
    for (const error of inside) {
      const index = Number(error.schemaPath.slice(base.length + 1).split("/")[0]);
      branches.set(index, [...(branches.get(index) ?? []), error]);
    }
    const branchSchemas = (anyOf.schema as Record<string, unknown>[] | undefined) ?? [];
    const value = valueAt(data, pointerToPath(anyOf.instancePath, data));
    const matching = branchSchemas.findIndex((branch) => jsonTypeMatches(branch["type"], value));
    for (const error of inside) drop.add(error);
    if (matching >= 0) {
      for (const error of branches.get(matching) ?? []) drop.delete(error);
      drop.add(anyOf);
    }
  }
  return errors.filter((error) => !drop.has(error));
}

function jsonTypeMatches(type: unknown, value: unknown): boolean {
  const types = Array.isArray(type) ? (type as string[]) : typeof type === "string" ? [type] : [];
  return types.some((t) => {
    switch (t) {
      case "string":
        return typeof value === "string";
      case "object":
        return value !== null && typeof value === "object" && !Array.isArray(value);
      case "array":
        return Array.isArray(value);
      case "integer":
        return Number.isInteger(value);
      case "number":
        return typeof value === "number";
      case "boolean":
        return typeof value === "boolean";
      default:
        return false;
    }
  });
}

function mapError(error: ErrorObject, data: unknown, source: ParsedSource): Mapped | undefined {
  const path = pointerToPath(error.instancePath, data);
  const key = formatKeyPath(path);
  const value = valueAt(data, path);
  const parentSchema = error.parentSchema as Record<string, unknown> | undefined;
  const params = error.params as Record<string, unknown>;
  const file = source.file;

  if (
    FORMAT_KEYWORDS.has(error.keyword) &&
    RULE_OWNED_PATHS.has(pathPattern(path)) &&
    typeof value === "string"
  ) {
    return undefined; // rules.ts explains these precisely
  }

  switch (error.keyword) {
    case "additionalProperties": {
      const name = String(params["additionalProperty"]);
      const keyPath = [...path, name];
      const properties = Object.keys(
        (parentSchema?.["properties"] as Record<string, unknown> | undefined) ?? {},
      );
      const suggestion = nearest(name, properties);
      const where = path.length === 0 ? "at the top level" : `under \`${key}\``;
      const message =
        name === "<<"
          ? `\`${formatKeyPath(keyPath)}\`: YAML merge keys (\`<<: *anchor\`) are not supported.`
          : `Unknown key \`${formatKeyPath(keyPath)}\`${suggestion === undefined ? "." : `: did you mean \`${suggestion}\`?`}`;
      return {
        path: keyPath,
        rank: 0,
        problem: {
          code: "manifest.unknown-key",
          key: formatKeyPath(keyPath),
          message,
          fix:
            name === "<<"
              ? "Write the keys out in this mapping instead of merging an anchor."
              : suggestion !== undefined
                ? `Rename it to \`${suggestion}\`. Keys allowed ${where}: ${properties.join(", ")}.`
                : `Remove it. Keys allowed ${where}: ${properties.join(", ")}.`,
          location: keyLocation(source, keyPath),
        },
      };
    }
    case "required": {
      const name = String(params["missingProperty"]);
      const keyPath = [...path, name];
      const propertySchema = (
        parentSchema?.["properties"] as Record<string, Record<string, unknown>> | undefined
      )?.[name];
      const examples = propertySchema?.["examples"];
      const example = Array.isArray(examples) && typeof examples[0] === "string" ? examples[0] : "…";
      const isSection = propertySchema?.["type"] === "object";
      return {
        path: keyPath,
        rank: 0,
        problem: {
          code: "manifest.missing-key",
          key: formatKeyPath(keyPath),
          message: `\`${formatKeyPath(keyPath)}\` is required but missing${path.length === 0 ? "" : ` from \`${key}\``}.`,
          fix: isSection
            ? `Add a \`${name}:\` section (see examples/images/minimal.image.yml).`
            : `Add \`${name}: ${example}\`${path.length === 0 ? "" : ` under \`${key}:\``}. ${String(propertySchema?.["description"] ?? "")}`.trim(),
          location: path.length === 0 ? { file, line: 1, column: 1 } : keyLocation(source, path),
        },
      };
    }
    case "type":
      return {
        path,
        rank: 1,
        problem: {
          code: "manifest.wrong-type",
          key,
          message:
            value === null
              ? `\`${key}\` has no value; it must be ${typeWords(params["type"])}.`
              : `\`${key}\` must be ${typeWords(params["type"])}, not ${describeValue(value)}.`,
          fix: typeFix(params["type"], value, parentSchema),
          location: valueLocation(source, path),
        },
      };
    case "anyOf":
      return {
        path,
        rank: 1,
        problem: {
          code: "manifest.wrong-type",
          key,
          message: `\`${key}\` must be a region string (\`eastus=2=Standard_ZRS\`) or a mapping with \`name\`, not ${describeValue(value)}.`,
          fix: "Write `- westeurope`, `- eastus=2`, or `- name: eastus` with `replicas:` under it.",
          location: valueLocation(source, path),
        },
      };
    case "enum": {
      const allowed = ((params["allowedValues"] as unknown[] | undefined) ?? []).map(String);
      const suggestion = typeof value === "string" ? nearest(value, allowed) : undefined;
      return {
        path,
        rank: 2,
        problem: {
          code: "manifest.invalid-value",
          key,
          message: `\`${key}\` is ${describeValue(value)}, which is not allowed${suggestion === undefined ? "." : `: did you mean \`${suggestion}\`?`}`,
          fix: `Use one of: ${allowed.join(", ")} (case matters).`,
          location: valueLocation(source, path),
        },
      };
    }
    case "minimum":
    case "maximum": {
      const min = parentSchema?.["minimum"];
      const max = parentSchema?.["maximum"];
      const range =
        typeof min === "number" && typeof max === "number"
          ? `between ${min} and ${max}`
          : typeof min === "number"
            ? `at least ${min}`
            : `at most ${String(max)}`;
      return {
        path,
        rank: 3,
        problem: {
          code: "manifest.out-of-range",
          key,
          message: `\`${key}\` is ${String(value)}; it must be ${range}.`,
          fix: `Write a whole number ${range}.`,
          location: valueLocation(source, path),
        },
      };
    }
    case "uniqueItems":
      return {
        path,
        rank: 3,
        problem: {
          code: "manifest.duplicate-value",
          key,
          message: `\`${key}\` lists the same value twice.`,
          fix: "Remove the repeated entry.",
          location: valueLocation(source, [...path, Math.max(Number(params["i"]), Number(params["j"]))]),
        },
      };
    case "format":
      return {
        path,
        rank: 3,
        problem: {
          code: "manifest.invalid-value",
          key,
          message: `\`${key}\` is ${describeValue(value)}, which is not an absolute http(s) URL.`,
          fix: "Write a full URL such as https://contoso.com/privacy.",
          location: valueLocation(source, path),
        },
      };
    case "minLength":
      return {
        path,
        rank: 3,
        problem: {
          code: "manifest.invalid-value",
          key,
          message: `\`${key}\` is empty.`,
          fix: `Write a value, or remove the key. ${String(parentSchema?.["description"] ?? "")}`.trim(),
          location: valueLocation(source, path),
        },
      };
    default:
      return {
        path,
        rank: 4,
        problem: {
          code: "manifest.invalid-value",
          key,
          message: `\`${key}\` (${typeof value === "string" ? JSON.stringify(truncate(value)) : describeValue(value)}) ${error.message ?? "is not valid"}.`,
          fix: String(parentSchema?.["description"] ?? "See the manifest reference in the README."),
          location: valueLocation(source, path),
        },
      };
  }
}
