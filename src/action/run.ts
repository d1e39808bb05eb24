/**
 * The action, as a function tests can call: inputs + event → EngineRequest → engine → outputs,
 * job summary, PR comment. Returns the exit code; never throws, never prints a stack trace except
 * in the debug log.
 */
import path from "node:path";
import * as core from "@actions/core";
import type { EngineRequest, EngineResult, Logger, UploadProgress } from "../engine/contract.ts";
import { formatProblem, InputError, type Problem } from "../core/problems.ts";
import { annotateProblems, workspaceRelative } from "../adapters/github/annotations.ts";
import { postPlanComment, type CommentOutcome } from "../adapters/github/comment.ts";
import { resolveAzureAccess, type CredentialDependencies } from "../adapters/github/credentials.ts";
import {
  imageNameOfManifest,
  PULL_REQUEST_EVENTS,
  readEventPayload,
  resolveEvent,
  type EventInfo,
} from "../adapters/github/event.ts";
import { readInputs, type ActionInputs, type Env } from "../adapters/github/inputs.ts";
import { writeJobSummary } from "../adapters/github/summary.ts";
import { formatBytes } from "../core/format.ts";

export type Engine = (request: EngineRequest) => Promise<EngineResult>;

export interface RunOptions {
  readonly engine: Engine;
  /** Default: process.env. Outputs and the summary go where @actions/core sends them (process.env). */
  readonly env?: Env;
  readonly signal?: AbortSignal;
  readonly credentialDependencies?: Partial<CredentialDependencies>;
  /** Minimum interval between two upload progress lines per disk (default 5 s). */
  readonly progressIntervalMs?: number;
  /** Clock for the progress throttle (tests). */
  readonly now?: () => number;
}

export interface RunReport {
  readonly exitCode: number;
  readonly result?: EngineResult;
  readonly event?: EventInfo;
  readonly comment?: CommentOutcome;
}

/** A Logger on @actions/core. Nested groups (which GitHub cannot fold) become plain lines. */
export function actionsLogger(): Logger {
  let depth = 0;
  return {
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    debug: (message) => core.debug(message),
    async group<T>(title: string, work: () => Promise<T>): Promise<T> {
      if (depth > 0) {
        core.info(title);
        return work();
      }
      depth += 1;
      try {
        return await core.group(title, work);
      } finally {
        depth -= 1;
      }
    },
  };
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(rest).padStart(2, "0")}s`;
  return `${rest}s`;
}

export function formatUploadProgress(progress: UploadProgress): string {
  const percent =
    progress.totalBytes > 0 ? Math.floor((progress.scannedBytes / progress.totalBytes) * 100) : 100;
  const eta = progress.etaSeconds === undefined ? "" : `, ETA ${formatDuration(progress.etaSeconds)}`;
  return (
    `Upload ${progress.disk}: ${percent}% of ${formatBytes(progress.totalBytes)} scanned, ` +
    `${formatBytes(progress.sentBytes)} sent, ${formatBytes(progress.skippedBytes)} of zero pages skipped, ` +
    `${formatBytes(progress.bytesPerSecond)}/s${eta}`
  );
}

/** Logs upload progress at most every `intervalMs` per disk, and always the final line. */
export function throttledProgress(
  log: (line: string) => void,
  intervalMs = 5_000,
  now: () => number = Date.now,
): (progress: UploadProgress) => void {
  const last = new Map<string, number>();
  return (progress) => {
    const done = progress.scannedBytes >= progress.totalBytes;
    const t = now();
    const previous = last.get(progress.disk);
    if (!done && previous !== undefined && t - previous < intervalMs) return;
    if (done && previous === Number.POSITIVE_INFINITY) return;
    last.set(progress.disk, done ? Number.POSITIVE_INFINITY : t);
    log(formatUploadProgress(progress));
  };
}

function setOutputs(result: EngineResult): void {
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined) core.setOutput(name, value);
  };
  set("version", result.version);
  set("image-version-id", result.imageVersionId);
  set("image-definition-id", result.imageDefinitionId);
  set("replication-state", result.replicationState);
  set("plan", JSON.stringify(result.plan ?? null));
  set("vhd-digest", result.vhdDigest);
}

function isInputError(error: unknown): error is InputError {
  return (
    error instanceof InputError ||
    (error instanceof Error &&
      error.name === "InputError" &&
      Array.isArray((error as { problems?: unknown }).problems))
  );
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** Markdown for the summary / PR comment when the run stopped on input problems. */
export function problemsMarkdown(manifest: string, problems: readonly Problem[]): string {
  const lines = [
    `## sig-publish: \`${manifest}\` has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}`,
    "",
    "Nothing was changed in Azure.",
    "",
    "| Where | Problem | Fix |",
    "| --- | --- | --- |",
  ];
  for (const p of problems) {
    const where =
      p.location === undefined
        ? (p.key ?? "")
        : `${p.location.file}${p.location.line === undefined ? "" : `:${p.location.line}`}`;
    lines.push(`| ${escapeCell(where)} | ${escapeCell(p.message)} | ${escapeCell(p.fix ?? "")} |`);
  }
  return `${lines.join("\n")}\n`;
}

/** The one-line (or few-line) message for core.setFailed, after the located problems were annotated. */
export function failureMessage(problems: readonly Problem[], workspace: string): string {
  const annotated = problems.filter(
    (p) => p.location !== undefined && workspaceRelative(p.location.file, workspace) !== undefined,
  );
  const others = problems.filter((p) => !annotated.includes(p));
  // Problems whose message already names their file are not prefixed with it again.
  const lines = others.map((p) =>
    p.location !== undefined && p.message.startsWith(p.location.file)
      ? `${p.message}${p.fix === undefined ? "" : ` Fix: ${p.fix}`}`
      : formatProblem(p),
  );
  if (annotated.length > 0) {
    const files = [
      ...new Set(annotated.map((p) => workspaceRelative(p.location?.file ?? "", workspace) ?? "")),
    ];
    lines.push(
      `${annotated.length} problem${annotated.length === 1 ? "" : "s"} in ${files.join(", ")} (see the annotations): nothing was changed in Azure.`,
    );
  }
  return lines.join("\n");
}

/** Blockers of a plan result (`plan.blockers[]`), as `message Fix: fix` lines. */
export function planBlockers(plan: unknown): string[] {
  if (typeof plan !== "object" || plan === null) return [];
  const blockers = (plan as { blockers?: unknown }).blockers;
  if (!Array.isArray(blockers)) return [];
  return blockers
    .filter(
      (b): b is { message: string; fix?: unknown } =>
        typeof b === "object" && b !== null && typeof (b as { message?: unknown }).message === "string",
    )
    .map((b) => `${b.message}${typeof b.fix === "string" ? ` Fix: ${b.fix}` : ""}`);
}

/** Why the step fails when the engine returned a result that is not ok. */
export function notOkMessage(result: EngineResult): string {
  const blockers = planBlockers(result.plan);
  if (result.mode === "plan") {
    return blockers.length > 0
      ? `The plan cannot be carried out:\n${blockers.map((b) => `- ${b}`).join("\n")}`
      : "The plan cannot be carried out: see the job summary.";
  }
  if (result.mode === "publish" && blockers.length > 0 && result.replicationState === "NotStarted") {
    return `Nothing was published:\n${blockers.map((b) => `- ${b}`).join("\n")}`;
  }
  return `Publishing ${result.version ?? "the image version"} did not complete: replication state ${result.replicationState}. See the job summary; a re-run resumes.`;
}

function manifestForDisplay(manifest: string, workspace: string): string {
  return workspaceRelative(manifest, workspace) ?? manifest.replace(/\\/g, "/");
}

/** Runs the action. Never throws; `exitCode` (0 or 1) is what the process should exit with. */
export async function run(options: RunOptions): Promise<RunReport> {
  const env = options.env ?? process.env;
  const workspace = path.resolve(env["GITHUB_WORKSPACE"] || process.cwd());
  let inputs: ActionInputs | undefined;
  let event: EventInfo | undefined;

  const commentIfPlanOnPullRequest = async (markdown: string): Promise<CommentOutcome | undefined> => {
    if (inputs === undefined || event === undefined) return undefined;
    if (event.mode !== "plan" || !PULL_REQUEST_EVENTS.has(event.eventName)) return undefined;
    return postPlanComment({
      enabled: inputs.comment,
      ...(inputs.githubToken === undefined ? {} : { token: inputs.githubToken }),
      ...(env["GITHUB_API_URL"] ? { apiUrl: env["GITHUB_API_URL"] } : {}),
      ...(event.repository === undefined ? {} : { repository: event.repository }),
      ...(event.pullRequest === undefined ? {} : { pullRequest: event.pullRequest }),
      eventName: event.eventName,
      manifestPath: manifestForDisplay(inputs.manifest, workspace),
      markdown,
      ...(event.runUrl === undefined ? {} : { runUrl: event.runUrl }),
      ...(event.commitSha === undefined ? {} : { commitSha: event.commitSha }),
    });
  };

  try {
    inputs = readInputs(env);
    const manifest = inputs.manifest;
    const payload = readEventPayload(env);
    event = resolveEvent(inputs, env, payload, { imageName: () => imageNameOfManifest(manifest, workspace) });
    core.info(`sig-publish: ${event.mode} ${manifestForDisplay(manifest, workspace)} (${event.modeReason}).`);
    if (event.versionSource === "release-tag")
      core.info(`Version ${event.version ?? ""} from release tag ${event.releaseTag ?? ""}.`);
    if (event.versionSource === "input" && event.releaseTag !== undefined) {
      core.info(
        `Version ${event.version ?? ""} from the "version" input (release tag ${event.releaseTag} not used).`,
      );
    }
    if (event.pullRequest?.isFork === true) {
      core.info(
        `Pull request #${event.pullRequest.number} comes from a fork (${event.pullRequest.headRepo ?? "deleted repository"}).`,
      );
    }
    if (event.mode === "publish" && PULL_REQUEST_EVENTS.has(event.eventName)) {
      core.warning(`mode is "publish" on a ${event.eventName} event: this publishes from unmerged code.`);
    }
    if (inputs.githubToken !== undefined) core.setSecret(inputs.githubToken);

    const azure = await resolveAzureAccess({
      inputs,
      env,
      mode: event.mode,
      ...(options.credentialDependencies === undefined ? {} : { deps: options.credentialDependencies }),
    });
    const log = actionsLogger();
    const request: EngineRequest = {
      mode: event.mode,
      manifestPath: manifest,
      workspace,
      ...(inputs.vhd === undefined ? {} : { vhdPath: path.resolve(workspace, inputs.vhd) }),
      ...(event.version === undefined ? {} : { version: event.version }),
      ...(inputs.bump === undefined ? {} : { bump: inputs.bump }),
      waitForReplication: inputs.waitForReplication,
      timeoutMinutes: inputs.timeoutMinutes,
      uploadConcurrency: inputs.uploadConcurrency,
      updateManifest: inputs.updateManifest,
      ...(azure === undefined ? {} : { azure }),
      context: {
        ...(event.commitSha === undefined ? {} : { commitSha: event.commitSha }),
        ...(event.runUrl === undefined ? {} : { runUrl: event.runUrl }),
        ...(event.repository === undefined
          ? {}
          : { repository: `${event.repository.owner}/${event.repository.repo}` }),
        ...(event.eventName === "" ? {} : { eventName: event.eventName }),
        ...(event.ref === undefined ? {} : { ref: event.ref }),
      },
      log,
      onUploadProgress: throttledProgress((line) => core.info(line), options.progressIntervalMs, options.now),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };

    const result = await options.engine(request);
    setOutputs(result);
    await writeJobSummary(result.summaryMarkdown);
    const comment = await commentIfPlanOnPullRequest(result.summaryMarkdown);
    if (!result.ok) {
      core.setFailed(notOkMessage(result));
      return { exitCode: 1, result, event, ...(comment === undefined ? {} : { comment }) };
    }
    return { exitCode: 0, result, event, ...(comment === undefined ? {} : { comment }) };
  } catch (error) {
    if (isInputError(error)) {
      const located = error.problems.filter(
        (p) => p.location !== undefined && workspaceRelative(p.location.file, workspace) !== undefined,
      );
      annotateProblems(located, workspace);
      core.setFailed(failureMessage(error.problems, workspace));
      if (inputs !== undefined) {
        const markdown = problemsMarkdown(manifestForDisplay(inputs.manifest, workspace), error.problems);
        await writeJobSummary(markdown);
        const comment = await commentIfPlanOnPullRequest(markdown);
        return {
          exitCode: 1,
          ...(event === undefined ? {} : { event }),
          ...(comment === undefined ? {} : { comment }),
        };
      }
      return { exitCode: 1 };
    }
    if (options.signal?.aborted === true) {
      core.setFailed("sig-publish was cancelled. A re-run resumes where this one stopped.");
      return { exitCode: 1 };
    }
    const message = error instanceof Error ? error.message : String(error);
    core.setFailed(`sig-publish failed unexpectedly: ${message}`);
    if (error instanceof Error && error.stack !== undefined) core.debug(error.stack);
    return { exitCode: 1 };
  }
}
