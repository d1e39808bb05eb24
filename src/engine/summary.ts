/**
 * The job summary of a publish: outcome, the IDs a consumer needs, upload figures, the replication
 * table and step timings, followed by the plan it executed. Markdown, escaped and size-capped.
 */
import type { ResolvedManifest } from "../core/manifest/model.ts";
import { capMarkdown, escapeMarkdown, renderPlanMarkdown } from "../core/plan/render.ts";
import type { Plan } from "../core/plan/types.ts";
import type { PublishReport } from "./publish.ts";
import { formatBytes } from "../core/format.ts";

function rate(bytes: number, seconds: number): string {
  return seconds <= 0 ? "–" : `${formatBytes(bytes / seconds)}/s`;
}

const STATE_WORD: Readonly<Record<string, string>> = {
  Completed: "✅ Completed",
  Failed: "❌ Failed",
  Replicating: "⏳ Replicating",
  InProgress: "⏳ In progress",
  Unknown: "… Unknown",
  NotStarted: "… Not started",
};

export function renderPublishSummary(manifest: ResolvedManifest, plan: Plan, report: PublishReport): string {
  const e = escapeMarkdown;
  const lines: string[] = [];
  const state = report.replication.state;
  const headline =
    state === "Completed"
      ? `✅ Published ${e(manifest.image.name)} ${e(report.version)}`
      : state === "Failed"
        ? `❌ Publishing ${e(manifest.image.name)} ${e(report.version)} failed`
        : `⏳ ${e(manifest.image.name)} ${e(report.version)} created, replication ${state === "InProgress" ? "in progress" : "not started"}`;
  lines.push(`## ${headline}`, "");
  if (report.replication.problem !== undefined) {
    lines.push(
      state === "Failed" ? "> [!CAUTION]" : "> [!WARNING]",
      `> ${e(report.replication.problem)}`,
      "",
    );
  }

  lines.push("| | |", "| --- | --- |");
  lines.push(
    `| Image library (gallery) | \`${e(manifest.gallery.name)}\` in resource group \`${e(manifest.gallery.resourceGroup)}\` |`,
  );
  lines.push(`| Image definition ID | \`${e(report.imageDefinitionId)}\` |`);
  lines.push(`| Image version ID | \`${e(report.imageVersionId)}\` |`);
  lines.push(
    `| Version | \`${e(report.version)}\`${plan.version.explanation === "" ? "" : ` — ${e(plan.version.explanation)}`} |`,
  );
  lines.push(
    `| Latest | ${report.promoted ? "promoted after replication" : manifest.version.excludeFromLatest ? "excluded from latest" : manifest.version.promote === "afterReplication" ? "not yet (waits for replication)" : "eligible immediately"} |`,
  );
  lines.push(`| OS disk digest | \`${e(report.osDigest)}\` |`, "");

  lines.push(
    "### Upload",
    "",
    "| disk | size | sent | zeros skipped | rate | time | |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  );
  for (const { label, outcome } of report.uploads) {
    const how = outcome.reused ? "already uploaded" : outcome.resumed ? "resumed" : "uploaded";
    lines.push(
      `| ${e(label)} | ${formatBytes(outcome.totalBytes)} | ${formatBytes(outcome.sentBytes)} | ${formatBytes(outcome.skippedBytes)} | ${rate(outcome.totalBytes, outcome.seconds)} | ${outcome.seconds.toFixed(1)} s | ${how} |`,
    );
  }
  lines.push("");

  lines.push(
    "### Replication",
    "",
    "| region | replicas | storage | state | progress | details |",
    "| --- | ---: | --- | --- | ---: | --- |",
  );
  const byRegion = new Map(
    report.replication.regions.map((r) => [r.region.toLowerCase().replace(/\s/g, ""), r]),
  );
  for (const region of manifest.version.targetRegions) {
    const status = byRegion.get(region.name);
    const word = STATE_WORD[status?.state ?? "Unknown"] ?? e(status?.state ?? "Unknown");
    lines.push(
      `| ${e(region.name)}${region.name === manifest.gallery.location ? " (source)" : ""} | ${region.replicas} | ${region.storageAccountType} | ${word} | ${status?.progress === undefined ? "–" : `${status.progress}%`} | ${e(status?.details ?? "")} |`,
    );
  }
  lines.push("");

  if (report.notes.length > 0 || report.cleanedUp.length > 0 || report.retentionDeleted.length > 0) {
    lines.push("### Notes", "");
    for (const note of report.notes) lines.push(`- ${e(note)}`);
    if (report.cleanedUp.length > 0) lines.push(`- Cleaned up: ${report.cleanedUp.map(e).join(", ")}`);
    if (report.retentionDeleted.length > 0)
      lines.push(`- Retention deleted versions: ${report.retentionDeleted.map(e).join(", ")}`);
    lines.push("");
  }

  const total = report.timings.reduce((sum, t) => sum + t.seconds, 0);
  lines.push(
    `<details><summary>Timings (${total.toFixed(1)} s in all)</summary>`,
    "",
    "| step | time | |",
    "| --- | ---: | --- |",
  );
  for (const t of report.timings) lines.push(`| ${e(t.step)} | ${t.seconds.toFixed(1)} s | ${e(t.note)} |`);
  lines.push("", "</details>", "");

  lines.push(
    "<details><summary>The plan this publish executed</summary>",
    "",
    renderPlanMarkdown(plan),
    "",
    "</details>",
  );
  return capMarkdown(lines.join("\n"));
}
