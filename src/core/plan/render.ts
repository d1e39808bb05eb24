/**
 * Renders a Plan: markdown for the job summary and the PR comment, text for the CLI, and stable
 * JSON for the `plan` output.
 *
 * Markdown escapes every string that may come from users (names, paths, messages): `|`, backticks,
 * `*_[]<>&` and friends are neutralised so a manifest value can neither break a table nor inject
 * HTML. Long lists are cut with "… and N more", and the whole text stays under
 * MAX_MARKDOWN_BYTES (far below GitHub's 1 MiB summary limit and 65 536-character comment limit).
 */
import type { Plan, PlanStep, PropertyChange } from "./types.ts";

/** Upper bound for renderPlanMarkdown's output, in UTF-16 code units and in UTF-8 bytes. */
export const MAX_MARKDOWN_CHARS = 60_000;
export const MAX_STEP_ROWS = 150;
export const MAX_LIST_ITEMS = 30;
const MAX_CELL = 400;

/** Escapes text for inline markdown (tables included): no HTML, no formatting, no cell breaks. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+!|~]/g, (ch) => `\\${ch}`);
}

function cut(text: string, max = MAX_CELL): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function cell(text: string): string {
  return escapeMarkdown(cut(text));
}

/** Monospace without code spans (which cannot be escaped reliably inside tables). */
function mono(text: string): string {
  return `<code>${escapeMarkdown(cut(text))}</code>`;
}

const ACTION_WORDS: Record<PlanStep["action"], string> = {
  acquire: "acquire",
  create: "**create**",
  update: "**update**",
  keep: "keep",
  conflict: "**CONFLICT**",
  upload: "**upload**",
  skip: "skip",
  wait: "wait",
  delete: "**delete**",
  unknown: "*unknown*",
};

const RESOURCE_WORDS: Record<PlanStep["resource"], string> = {
  lock: "lock",
  gallery: "gallery",
  imageDefinition: "image definition",
  container: "container",
  blob: "blob",
  disk: "disk",
  snapshot: "snapshot",
  imageVersion: "image version",
  replication: "replication",
  cleanup: "cleanup",
  retention: "retention",
};

function versionHeadline(plan: Plan): string {
  const v = plan.version;
  if (v.blocked) return `${v.value} (blocked)`;
  if (v.lowerBound) return `at least ${v.value}`;
  return v.resume ? `${v.value} (resume)` : v.value;
}

function showValue(value: string | undefined): string {
  return value === undefined ? "(none)" : value;
}

function changeLine(c: PropertyChange): string {
  return `${c.property}: ${showValue(c.from)} → ${showValue(c.to)}`;
}

function alert(kind: "WARNING" | "CAUTION" | "NOTE", lines: readonly string[]): string {
  return [`> [!${kind}]`, ...lines.map((l) => `> ${l}`)].join("\n");
}

function capped<T>(items: readonly T[], max: number): { shown: readonly T[]; more: number } {
  return items.length <= max
    ? { shown: items, more: 0 }
    : { shown: items.slice(0, max), more: items.length - max };
}

export function renderPlanMarkdown(plan: Plan): string {
  const out: string[] = [];
  const t = plan.target;
  const title = plan.mode === "plan" ? "Plan" : "Publish";
  out.push(
    `## sig-publish ${title}: ${escapeMarkdown(t.imageDefinition)} ${escapeMarkdown(versionHeadline(plan))}`,
    "",
    `**Version ${escapeMarkdown(versionHeadline(plan))}**: ${escapeMarkdown(cut(plan.version.explanation, 1000))}`,
    "",
    `Gallery ${mono(t.gallery)} in resource group ${mono(t.resourceGroup)}${t.subscription === undefined ? "" : ` (subscription ${mono(t.subscription)})`}, definition ${mono(t.imageDefinition)}, source region ${mono(t.location)}, via ${mono(plan.via.value)}, manifest ${mono(plan.manifestFile)}.`,
  );
  if (!plan.readAccess) {
    out.push(
      "",
      alert("NOTE", [
        "Planned without read access to Azure (no credentials): steps marked *unknown* depend on what the gallery holds, and the version is a lower bound.",
      ]),
    );
  }
  if (plan.blockers.length > 0) {
    const { shown, more } = capped(plan.blockers, MAX_LIST_ITEMS);
    const lines: string[] = ["**Blocked**: nothing would be published until this is fixed.", ""];
    for (const b of shown) {
      lines.push(`- ${cell(b.message)}${b.fix === undefined ? "" : ` **Fix:** ${cell(b.fix)}`}`);
    }
    if (more > 0) lines.push(`- … and ${more} more`);
    out.push("", alert("CAUTION", lines));
  }
  if (plan.warnings.length > 0) {
    const { shown, more } = capped(plan.warnings, MAX_LIST_ITEMS);
    const lines = shown.map((w) => `- ${cell(w)}`);
    if (more > 0) lines.push(`- … and ${more} more`);
    out.push("", alert("WARNING", lines));
  }

  out.push("", "### Steps", "", "| # | Action | Resource | Name | Why |", "|---:|---|---|---|---|");
  const { shown: steps, more: moreSteps } = capped(plan.steps, MAX_STEP_ROWS);
  steps.forEach((s, i) => {
    let why = cell(s.reason);
    if (s.changes !== undefined && s.changes.length > 0) {
      const { shown, more } = capped(s.changes, 12);
      why = `${cell(s.action === "conflict" ? "Immutable properties differ:" : "Changes:")}<br>${shown
        .map((c) => cell(changeLine(c)))
        .join("<br>")}${more > 0 ? `<br>… and ${more} more` : ""}`;
    }
    out.push(
      `| ${i + 1} | ${ACTION_WORDS[s.action]} | ${RESOURCE_WORDS[s.resource]} | ${mono(s.name)} | ${why} |`,
    );
  });
  if (moreSteps > 0) out.push(`| | | | | … and ${moreSteps} more steps |`);

  out.push(
    "",
    `### Target regions (${escapeMarkdown(plan.replicationMode)} replication, promote ${escapeMarkdown(plan.promote)})`,
    "",
    "| Region | Replicas | Storage | Notes |",
    "|---|---:|---|---|",
  );
  const { shown: regions, more: moreRegions } = capped(plan.targetRegions, 100);
  for (const r of regions) {
    const notes = [r.source ? "source" : "", r.encrypted ? "encrypted (DES)" : ""]
      .filter((n) => n !== "")
      .join(", ");
    out.push(`| ${cell(r.name)} | ${r.replicas} | ${cell(r.storageAccountType)} | ${notes} |`);
  }
  if (moreRegions > 0) out.push(`| … and ${moreRegions} more | | | |`);

  if (plan.disks.length > 0) {
    out.push("", "### Disks", "", "| Disk | File | Format | Size | Digest |", "|---|---|---|---:|---|");
    const { shown, more } = capped(plan.disks, 64);
    for (const d of shown) {
      out.push(
        `| ${cell(d.key)} | ${mono(d.path)} | ${cell(d.format ?? "?")} | ${d.virtualSize === undefined ? "?" : cell(formatSize(d.virtualSize))} | ${d.digest === undefined ? "not computed" : mono(shortDigest(d.digest))} |`,
      );
    }
    if (more > 0) out.push(`| … and ${more} more | | | | |`);
  }
  out.push("");
  return capMarkdown(out.join("\n"));
}

function shortDigest(digest: string): string {
  return digest.length > 30 ? `${digest.slice(0, 28)}…` : digest;
}

function formatSize(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(gib >= 100 ? 0 : 1)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Cuts at a line boundary so the text stays under MAX_MARKDOWN_CHARS, saying so at the end. */
export function capMarkdown(text: string, max = MAX_MARKDOWN_CHARS): string {
  if (text.length <= max) return text;
  const note =
    "\n\n*… the plan was cut here to keep the summary small; see the `plan` output for all of it.*\n";
  const room = max - note.length;
  const at = text.lastIndexOf("\n", room);
  return `${text.slice(0, at > 0 ? at : room)}${note}`;
}

// ---------------------------------------------------------------------------------------------

/**
 * The `plan` output: a JSON object, schemaVersion 1, with keys in a fixed order and no undefined
 * values (see Plan in types.ts for the meaning of each field):
 *
 *   { schemaVersion: 1, mode, manifestFile, target: { subscription?, resourceGroup, gallery,
 *     imageDefinition, location }, readAccess, ok,
 *     version: { value, lowerBound, reason?, resume, blocked, explanation, highestExisting?,
 *                bumpedFrom?, needsDigestToDecide? },
 *     via: { value, requested, reason? }, replicationMode, promote,
 *     targetRegions: [{ name, replicas, storageAccountType, source, encrypted }],
 *     disks: [{ key, path, format?, virtualSize?, blobSize?, digest? }],
 *     steps: [{ id, action, resource, name, reason, changes?: [{ property, from?, to? }], details? }],
 *     warnings: [string], blockers: [{ code, message, fix?, stepId? }] }
 */
export function planToJson(plan: Plan, space?: number): string {
  return JSON.stringify(planToObject(plan), null, space);
}

/** The JSON-ready object behind planToJson (key order fixed, undefined dropped). */
export function planToObject(plan: Plan): Record<string, unknown> {
  const order = [
    "schemaVersion",
    "mode",
    "manifestFile",
    "target",
    "readAccess",
    "ok",
    "version",
    "via",
    "replicationMode",
    "promote",
    "targetRegions",
    "disks",
    "steps",
    "warnings",
    "blockers",
  ] as const;
  const result: Record<string, unknown> = {};
  for (const key of order) result[key] = clean(plan[key]);
  return result;
}

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clean(v);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------

/** Plain text for the CLI (no markdown, no colour). */
export function renderPlanText(plan: Plan): string {
  const t = plan.target;
  const lines: string[] = [];
  lines.push(
    `${plan.mode === "plan" ? "Plan" : "Publish"}: ${t.imageDefinition} ${versionHeadline(plan)} → gallery ${t.gallery} (${t.resourceGroup}, ${t.location}), via ${plan.via.value}`,
    `Version: ${plan.version.explanation}`,
  );
  if (!plan.readAccess)
    lines.push("Note: planned without read access to Azure; 'unknown' steps depend on the gallery.");
  if (plan.blockers.length > 0) {
    lines.push("", "Blocked:");
    for (const b of plan.blockers) {
      lines.push(`  ✗ ${b.message}`);
      if (b.fix !== undefined) lines.push(`    Fix: ${b.fix}`);
    }
  }
  if (plan.warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const w of plan.warnings) lines.push(`  ! ${w}`);
  }
  lines.push("", "Steps:");
  const width = Math.max(...plan.steps.map((s) => s.action.length), 6);
  const resWidth = Math.max(...plan.steps.map((s) => RESOURCE_WORDS[s.resource].length), 8);
  plan.steps.forEach((s, i) => {
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${s.action.padEnd(width)}  ${RESOURCE_WORDS[s.resource].padEnd(resWidth)}  ${s.name}`,
      `      ${s.reason}`,
    );
    for (const c of s.changes ?? []) lines.push(`        ${changeLine(c)}`);
  });
  lines.push("", `Target regions (${plan.replicationMode}, promote ${plan.promote}):`);
  for (const r of plan.targetRegions) {
    const notes = [r.source ? "source" : "", r.encrypted ? "encrypted" : ""]
      .filter((n) => n !== "")
      .join(", ");
    lines.push(
      `  ${r.name.padEnd(20)} ${String(r.replicas).padStart(3)} replica${r.replicas === 1 ? " " : "s"}  ${r.storageAccountType}${notes === "" ? "" : `  (${notes})`}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
