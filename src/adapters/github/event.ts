/**
 * What the triggering event means for this run: the mode (`auto` → plan on pull requests),
 * the explicit version (input, or the release tag on `release` events), the pull request (number,
 * fork or not), the commit and the run URL. Reads GITHUB_EVENT_NAME and the payload file at
 * GITHUB_EVENT_PATH, as the runner provides them; never the network.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { InputError } from "../../core/problems.ts";
import { versionStringFromReleaseTag } from "../../core/version/index.ts";
import type { ActionInputs, Env } from "./inputs.ts";

export type EventPayload = Readonly<Record<string, unknown>>;

export interface PullRequestInfo {
  readonly number: number;
  /** Head repository differs from the base (or is marked a fork): the token is read-only, no secrets. */
  readonly isFork: boolean;
  readonly headRepo?: string;
  readonly baseRepo?: string;
  readonly headSha?: string;
  readonly headRef?: string;
}

export interface RepositoryRef {
  readonly owner: string;
  readonly repo: string;
}

export interface EventInfo {
  readonly eventName: string;
  readonly mode: "plan" | "publish";
  /** Why this mode, for the log: `mode input "auto" on pull_request`. */
  readonly modeReason: string;
  readonly version?: string;
  readonly versionSource?: "input" | "release-tag";
  readonly releaseTag?: string;
  readonly pullRequest?: PullRequestInfo;
  readonly commitSha?: string;
  readonly runUrl?: string;
  readonly repository?: RepositoryRef;
  readonly ref?: string;
}

export const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set(["pull_request", "pull_request_target"]);

/** The event payload, or `{}` when there is none (local runs). A malformed file is an error. */
export function readEventPayload(env: Env): EventPayload {
  const file = env["GITHUB_EVENT_PATH"];
  if (file === undefined || file === "") return {};
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InputError({
      code: "event.unreadable",
      message: `The event payload GITHUB_EVENT_PATH=${file} cannot be read: ${(error as Error).message}.`,
      fix: "Run the action from a GitHub workflow, or unset GITHUB_EVENT_PATH for a local run.",
    });
  }
  if (text.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : {};
  } catch (error) {
    throw new InputError({
      code: "event.malformed",
      message: `The event payload GITHUB_EVENT_PATH=${file} is not JSON: ${(error as Error).message}.`,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, ...keys: string[]): Record<string, unknown> | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return isRecord(current) ? current : undefined;
}

function text(value: unknown, ...keys: string[]): string | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return typeof current === "string" && current !== "" ? current : undefined;
}

/** Pull request facts from a `pull_request`/`pull_request_target` payload. */
export function pullRequestInfo(payload: EventPayload): PullRequestInfo | undefined {
  const pr = record(payload, "pull_request");
  const numberValue = pr?.["number"] ?? payload["number"];
  if (pr === undefined || typeof numberValue !== "number") return undefined;
  const headRepo = text(pr, "head", "repo", "full_name");
  const baseRepo = text(pr, "base", "repo", "full_name");
  const headRepoRecord = record(pr, "head", "repo");
  // A deleted fork has head.repo = null: still a fork (it cannot be the base repository).
  const headRepoDeleted = isRecord(pr["head"]) && pr["head"]["repo"] === null;
  const isFork =
    headRepoDeleted ||
    headRepoRecord?.["fork"] === true ||
    (headRepo !== undefined && baseRepo !== undefined && headRepo.toLowerCase() !== baseRepo.toLowerCase());
  const headSha = text(pr, "head", "sha");
  const headRef = text(pr, "head", "ref");
  return {
    number: numberValue,
    isFork,
    ...(headRepo === undefined ? {} : { headRepo }),
    ...(baseRepo === undefined ? {} : { baseRepo }),
    ...(headSha === undefined ? {} : { headSha }),
    ...(headRef === undefined ? {} : { headRef }),
  };
}

/** `owner/repo` from GITHUB_REPOSITORY, else the payload's repository. */
export function repositoryRef(env: Env, payload: EventPayload): RepositoryRef | undefined {
  const full = env["GITHUB_REPOSITORY"] || text(payload, "repository", "full_name");
  if (full === undefined) return undefined;
  const [owner, repo, ...rest] = full.split("/");
  if (owner === undefined || repo === undefined || owner === "" || repo === "" || rest.length > 0)
    return undefined;
  return { owner, repo };
}

/** `GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID[/attempts/N]`. */
export function runUrl(env: Env): string | undefined {
  const server = (env["GITHUB_SERVER_URL"] || "https://github.com").replace(/\/+$/, "");
  const repository = env["GITHUB_REPOSITORY"];
  const runId = env["GITHUB_RUN_ID"];
  if (!repository || !runId) return undefined;
  const attempt = env["GITHUB_RUN_ATTEMPT"];
  const suffix = attempt !== undefined && attempt !== "" && attempt !== "1" ? `/attempts/${attempt}` : "";
  return `${server}/${repository}/actions/runs/${runId}${suffix}`;
}

/**
 * The image definition name of the manifest, read leniently (no validation: the engine reports
 * manifest problems with positions). Used only to check the prefix of `name/v1.2.3` release tags.
 */
export function imageNameOfManifest(manifestPath: string, workspace: string): string | undefined {
  try {
    const text = readFileSync(path.resolve(workspace, manifestPath), "utf8");
    const name = parseDocument(text).getIn(["image", "name"]);
    return typeof name === "string" && name !== "" ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The version a release tag names, for the image `imageName` when known. Throws InputError. */
export function versionFromTag(tag: string, imageName: string | undefined): string {
  if (imageName !== undefined) return versionStringFromReleaseTag(tag, imageName);
  // Manifest unreadable: check the version part only; the engine will report the manifest itself.
  const bare = tag.replace(/^refs\/tags\//, "");
  const slash = bare.lastIndexOf("/");
  const prefix = slash >= 0 ? bare.slice(0, slash) : "image";
  return versionStringFromReleaseTag(tag, prefix);
}

export interface ResolveEventOptions {
  /** Lazily reads the manifest's image name (only on release events, for the tag prefix check). */
  readonly imageName?: () => string | undefined;
}

/** Resolves the mode, explicit version and pull-request facts of this run. Throws InputError. */
export function resolveEvent(
  inputs: ActionInputs,
  env: Env,
  payload: EventPayload,
  options: ResolveEventOptions = {},
): EventInfo {
  const eventName = env["GITHUB_EVENT_NAME"] ?? "";
  const isPullRequestEvent = PULL_REQUEST_EVENTS.has(eventName);
  let mode: "plan" | "publish";
  let modeReason: string;
  if (inputs.mode === "auto") {
    mode = isPullRequestEvent ? "plan" : "publish";
    modeReason = `mode "auto" on ${eventName === "" ? "a run without an event (local)" : `a ${eventName} event`}`;
  } else {
    mode = inputs.mode;
    modeReason = `mode "${inputs.mode}"`;
  }

  let version = inputs.version;
  let versionSource: EventInfo["versionSource"] = version === undefined ? undefined : "input";
  const releaseTag = eventName === "release" ? text(payload, "release", "tag_name") : undefined;
  if (eventName === "release" && version === undefined) {
    if (releaseTag === undefined) {
      throw new InputError({
        code: "event.release-without-tag",
        message: "This release event carries no release.tag_name, so no version can be taken from the tag.",
        fix: 'Set the "version" input explicitly.',
      });
    }
    version = versionFromTag(releaseTag, options.imageName?.());
    versionSource = "release-tag";
  }

  const pullRequest = isPullRequestEvent ? pullRequestInfo(payload) : undefined;
  const commitSha = pullRequest?.headSha ?? (env["GITHUB_SHA"] || text(payload, "after") || undefined);
  const repository = repositoryRef(env, payload);
  const url = runUrl(env);
  const ref = env["GITHUB_REF"] || undefined;

  return {
    eventName,
    mode,
    modeReason,
    ...(version === undefined ? {} : { version }),
    ...(versionSource === undefined ? {} : { versionSource }),
    ...(releaseTag === undefined ? {} : { releaseTag }),
    ...(pullRequest === undefined ? {} : { pullRequest }),
    ...(commitSha === undefined ? {} : { commitSha }),
    ...(url === undefined ? {} : { runUrl: url }),
    ...(repository === undefined ? {} : { repository }),
    ...(ref === undefined ? {} : { ref }),
  };
}
