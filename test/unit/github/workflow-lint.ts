/**
 * Checks that action-validator (a JSON-schema validator) cannot make: the expressions inside
 * workflows. Each finding is `file: jobs.<job>...: message`.
 *
 *  - only functions GitHub expressions have (no `split()`, `toLower()`, …)
 *  - `steps.<id>` names a step of the same job, `needs.<id>` a job listed in `needs`
 *  - `inputs.<name>` / `secrets.<name>` of reusable and dispatched workflows are declared
 *  - `matrix.*` only in jobs with a matrix
 *  - workflow_call outputs read declared job outputs
 *  - third-party actions pinned to a 40-hex commit SHA with a `# vX` comment, and one SHA per
 *    action across all files (see pinnedActions)
 */
import { parseDocument } from "yaml";

export const EXPRESSION_FUNCTIONS = new Set([
  "contains",
  "startsWith",
  "endsWith",
  "format",
  "join",
  "toJSON",
  "fromJSON",
  "hashFiles",
  "success",
  "always",
  "cancelled",
  "failure",
  "case",
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every string in `value`, with its dotted path; `if` values count as bare expressions. */
function strings(
  value: Json | undefined,
  at: string,
  out: { path: string; text: string; bare: boolean }[],
): void {
  if (typeof value === "string") {
    out.push({ path: at, text: value, bare: /(^|\.)if$/.test(at) });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => strings(item, `${at}[${i}]`, out));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) strings(v, at === "" ? k : `${at}.${k}`, out);
  }
}

function expressionsIn(text: string, bare: boolean): string[] {
  const found = [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1] ?? "");
  if (found.length === 0 && bare) return [text];
  return found;
}

function withoutLiterals(expression: string): string {
  return expression.replace(/'(?:[^']|'')*'/g, "''");
}

interface JobFacts {
  readonly stepIds: Set<string>;
  readonly needs: Set<string>;
  readonly hasMatrix: boolean;
  readonly outputs: Set<string>;
}

function jobFacts(job: Record<string, Json>): JobFacts {
  const steps = Array.isArray(job["steps"]) ? job["steps"] : [];
  const stepIds = new Set(
    steps
      .filter(isObject)
      .map((s) => s["id"])
      .filter((id): id is string => typeof id === "string"),
  );
  const needsValue = job["needs"];
  const needs = new Set(
    typeof needsValue === "string"
      ? [needsValue]
      : Array.isArray(needsValue)
        ? needsValue.filter((n): n is string => typeof n === "string")
        : [],
  );
  const strategy = job["strategy"];
  const hasMatrix = isObject(strategy) && strategy["matrix"] !== undefined;
  const outputs = new Set(isObject(job["outputs"]) ? Object.keys(job["outputs"]) : []);
  return { stepIds, needs, hasMatrix, outputs };
}

export interface PinnedUse {
  readonly file: string;
  readonly action: string;
  readonly ref: string;
  readonly comment?: string;
}

/** `uses:` lines with their trailing comment (the YAML parse drops comments, so read the text). */
export function usesLines(file: string, text: string): PinnedUse[] {
  const result: PinnedUse[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*(?:-\s+)?uses:\s*["']?([^"'\s#]+)["']?\s*(?:#\s*(.*))?$/.exec(line);
    if (match === null) continue;
    const spec = match[1] ?? "";
    const at = spec.lastIndexOf("@");
    if (spec.startsWith("./") || spec.startsWith("docker://") || at < 0) continue;
    result.push({
      file,
      action: spec.slice(0, at),
      ref: spec.slice(at + 1),
      ...(match[2] ? { comment: match[2].trim() } : {}),
    });
  }
  return result;
}

/** Lints one workflow's expressions. `ownActions` are exempt from SHA pinning (our own `@v1`). */
export function lintWorkflow(file: string, text: string, ownActions: readonly string[] = []): string[] {
  const problems: string[] = [];
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return doc.errors.map((e) => `${file}: YAML: ${e.message}`);
  const root = doc.toJS() as Json;
  if (!isObject(root)) return [`${file}: not a mapping`];
  const on = isObject(root["on"]) ? root["on"] : {};
  const call = isObject(on["workflow_call"]) ? on["workflow_call"] : undefined;
  const dispatch = isObject(on["workflow_dispatch"]) ? on["workflow_dispatch"] : undefined;
  const declaredInputs = new Set<string>([
    ...(call !== undefined && isObject(call["inputs"]) ? Object.keys(call["inputs"]) : []),
    ...(dispatch !== undefined && isObject(dispatch["inputs"]) ? Object.keys(dispatch["inputs"]) : []),
  ]);
  const checksInputs = call !== undefined || dispatch !== undefined;
  const declaredSecrets = new Set<string>([
    "GITHUB_TOKEN",
    ...(call !== undefined && isObject(call["secrets"]) ? Object.keys(call["secrets"]) : []),
  ]);
  const jobs = isObject(root["jobs"]) ? root["jobs"] : {};

  const checkExpression = (where: string, expression: string, job: JobFacts | undefined): void => {
    const code = withoutLiterals(expression);
    for (const m of code.matchAll(/(?<![\w.-])([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
      const name = m[1] ?? "";
      if (!EXPRESSION_FUNCTIONS.has(name))
        problems.push(`${file}: ${where}: ${name}() is not a GitHub expression function`);
    }
    for (const m of code.matchAll(
      /(?<![\w.-])(steps|needs|inputs|secrets|matrix)\.([A-Za-z_][A-Za-z0-9_-]*)/g,
    )) {
      const [, context = "", name = ""] = m;
      if (context === "steps" && job !== undefined && !job.stepIds.has(name)) {
        problems.push(`${file}: ${where}: steps.${name} is not a step id of this job`);
      }
      if (context === "steps" && job === undefined)
        problems.push(`${file}: ${where}: steps.${name} outside a job`);
      if (context === "needs" && (job === undefined || !job.needs.has(name))) {
        problems.push(`${file}: ${where}: needs.${name} is not in this job's needs`);
      }
      if (context === "inputs" && checksInputs && !declaredInputs.has(name)) {
        problems.push(`${file}: ${where}: inputs.${name} is not a declared input`);
      }
      if (context === "secrets" && call !== undefined && !declaredSecrets.has(name)) {
        problems.push(`${file}: ${where}: secrets.${name} is not declared under on.workflow_call.secrets`);
      }
      if (context === "matrix" && (job === undefined || !job.hasMatrix)) {
        problems.push(`${file}: ${where}: matrix.${name} in a job without a matrix`);
      }
    }
  };

  const facts = new Map<string, JobFacts>();
  for (const [id, job] of Object.entries(jobs)) {
    if (!isObject(job)) continue;
    const jf = jobFacts(job);
    facts.set(id, jf);
    for (const need of jf.needs)
      if (!(need in jobs)) problems.push(`${file}: jobs.${id}.needs: no job "${need}"`);
    const found: { path: string; text: string; bare: boolean }[] = [];
    strings(job, `jobs.${id}`, found);
    for (const s of found) for (const e of expressionsIn(s.text, s.bare)) checkExpression(s.path, e, jf);
  }
  // Workflow-level strings (env, run-name, concurrency, on.workflow_call.outputs).
  for (const key of ["env", "run-name", "concurrency"]) {
    const found: { path: string; text: string; bare: boolean }[] = [];
    strings(root[key], key, found);
    for (const s of found)
      for (const e of expressionsIn(s.text, s.bare)) checkExpression(s.path, e, undefined);
  }
  if (call !== undefined && isObject(call["outputs"])) {
    for (const [name, output] of Object.entries(call["outputs"])) {
      const value = isObject(output) && typeof output["value"] === "string" ? output["value"] : "";
      for (const m of value.matchAll(/jobs\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g)) {
        const [, jobId = "", out = ""] = m;
        const jf = facts.get(jobId);
        if (jf === undefined) problems.push(`${file}: on.workflow_call.outputs.${name}: no job "${jobId}"`);
        else if (!jf.outputs.has(out))
          problems.push(`${file}: on.workflow_call.outputs.${name}: job "${jobId}" has no output "${out}"`);
      }
    }
  }

  for (const use of usesLines(file, text)) {
    if (ownActions.some((own) => use.action === own || use.action.startsWith(`${own}/`))) continue;
    if (!/^[0-9a-f]{40}$/.test(use.ref)) {
      problems.push(`${file}: ${use.action}@${use.ref} is not pinned to a full commit SHA`);
    } else if (use.comment === undefined || !/^v\d/.test(use.comment)) {
      problems.push(`${file}: ${use.action}@${use.ref} has no "# vX.Y.Z" comment naming the pinned tag`);
    }
  }
  return problems;
}

/** One SHA per action across files: examples must not drift from what CI uses. */
export function pinDrift(uses: readonly PinnedUse[]): string[] {
  const byAction = new Map<string, Set<string>>();
  for (const use of uses) {
    if (!/^[0-9a-f]{40}$/.test(use.ref)) continue;
    const set = byAction.get(use.action) ?? new Set<string>();
    set.add(`${use.ref}${use.comment === undefined ? "" : ` # ${use.comment}`}`);
    byAction.set(use.action, set);
  }
  return [...byAction]
    .filter(([, refs]) => refs.size > 1)
    .map(([action, refs]) => `${action} is pinned differently: ${[...refs].join(" | ")}`);
}
