/**
 * The job summary (GITHUB_STEP_SUMMARY), written through `core.summary` and kept under GitHub's
 * 1 MiB per-step limit: above it GitHub drops the whole summary, so the text is cut at a line
 * boundary, open code fences and <details> blocks are closed, and a note says so.
 */
import { statSync } from "node:fs";
import * as core from "@actions/core";
import { formatBytes } from "../../core/format.ts";

/** GitHub's limit for one step's summary file. */
export const STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024;
/** What we allow ourselves: the limit minus a margin for the note and for GitHub's own accounting. */
export const SUMMARY_BUDGET_BYTES = STEP_SUMMARY_LIMIT_BYTES - 16 * 1024;

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");
export const utf16Length = (text: string): number => text.length;

export interface CapResult {
  readonly text: string;
  readonly truncated: boolean;
  readonly originalSize: number;
}

/** Longest prefix of `text` (never splitting a surrogate pair) whose measure is at most `limit`. */
function prefixWithin(text: string, limit: number, measure: (text: string) => number): string {
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (measure(text.slice(0, mid)) <= limit) low = mid;
    else high = mid - 1;
  }
  let end = low;
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** Closes what the cut left open, so that the rest of the page still renders. */
function closeOpenBlocks(text: string): string {
  let closing = "";
  const fences = text.split("\n").filter((line) => /^\s*(```|~~~)/.test(line)).length;
  if (fences % 2 === 1) closing += "\n```";
  const opened = (text.match(/<details[\s>]/g) ?? []).length;
  const closed = (text.match(/<\/details>/g) ?? []).length;
  for (let i = closed; i < opened; i += 1) closing += "\n</details>";
  return closing === "" ? text : `${text}${closing}\n`;
}

/**
 * Cuts `text` so that `measure(result) <= limit`, at a line boundary where one is near, closing
 * code fences and <details>, and appending `note(originalSize)`.
 */
export function capText(
  text: string,
  limit: number,
  measure: (text: string) => number,
  note: (originalSize: number) => string,
): CapResult {
  const originalSize = measure(text);
  if (originalSize <= limit) return { text, truncated: false, originalSize };
  const tail = `\n\n${note(originalSize)}\n`;
  // Room for the note and for the closing of fences / <details> blocks (a few per level).
  const room = limit - measure(tail) - 512;
  if (room <= 0) return { text: prefixWithin(tail.trim(), limit, measure), truncated: true, originalSize };
  let cut = prefixWithin(text, room, measure);
  const newline = cut.lastIndexOf("\n");
  if (newline > 0 && cut.length - newline < 8192) cut = cut.slice(0, newline);
  let result = `${closeOpenBlocks(cut)}${tail}`;
  if (measure(result) > limit) result = prefixWithin(result, limit, measure);
  return { text: result, truncated: true, originalSize };
}

/** Caps markdown for the job summary to `budgetBytes` (UTF-8). */
export function capSummary(markdown: string, budgetBytes: number = SUMMARY_BUDGET_BYTES): CapResult {
  return capText(
    markdown,
    budgetBytes,
    utf8Bytes,
    (size) =>
      `> [!WARNING]\n> This summary was truncated: it is ${formatBytes(size)} and GitHub accepts at most 1 MiB per step. ` +
      "The complete plan is in the `plan` output of the step and in the log.",
  );
}

export interface WriteSummaryOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly budgetBytes?: number;
}

export interface WriteSummaryResult {
  readonly written: boolean;
  readonly truncated: boolean;
  readonly bytes: number;
}

/**
 * Appends `markdown` to the step summary, capped so that the whole file stays under the limit
 * (earlier writes of the same step count). Without GITHUB_STEP_SUMMARY (local runs) it writes
 * nothing and says so in the debug log. Never throws: a summary is not worth failing a publish.
 */
export async function writeJobSummary(
  markdown: string,
  options: WriteSummaryOptions = {},
): Promise<WriteSummaryResult> {
  const env = options.env ?? process.env;
  const file = env["GITHUB_STEP_SUMMARY"];
  if (file === undefined || file === "") {
    core.debug("GITHUB_STEP_SUMMARY is not set: no job summary written.");
    return { written: false, truncated: false, bytes: 0 };
  }
  let existing = 0;
  try {
    existing = statSync(file).size;
  } catch {
    existing = 0;
  }
  const budget = Math.max(0, (options.budgetBytes ?? SUMMARY_BUDGET_BYTES) - existing);
  const capped = capSummary(markdown.endsWith("\n") ? markdown : `${markdown}\n`, budget);
  if (capped.truncated) {
    core.warning(
      `The job summary was truncated to ${formatBytes(utf8Bytes(capped.text))} (GitHub's limit is 1 MiB per step); the full plan is in the "plan" output.`,
    );
  }
  try {
    await core.summary.emptyBuffer().addRaw(capped.text).write();
    return { written: true, truncated: capped.truncated, bytes: utf8Bytes(capped.text) };
  } catch (error) {
    core.warning(`Could not write the job summary: ${(error as Error).message}`);
    return { written: false, truncated: capped.truncated, bytes: 0 };
  }
}
