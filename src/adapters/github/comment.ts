/**
 * The sticky pull-request comment: one comment per manifest, recognised by the hidden marker
 * `<!-- sig-publish:<manifest path> -->`, found by listing the PR's comments page by page, updated
 * in place (or created once). Several manifests in a matrix each keep their own comment.
 *
 * A comment is a courtesy, never a reason to fail: fork pull requests, `comment: false` and tokens
 * without `pull-requests: write` (HTTP 403) skip it with a notice; other API errors are warnings.
 */
import * as core from "@actions/core";
import { getOctokit } from "@actions/github";
import { capText, utf16Length } from "./summary.ts";

/** GitHub rejects comment bodies longer than 65536 characters. */
export const COMMENT_LIMIT_CHARS = 65_536;

export type Octokit = ReturnType<typeof getOctokit>;

/** The hidden marker for a manifest path (workspace-relative, forward slashes). */
export function commentMarker(manifestPath: string): string {
  const normalised = manifestPath
    .replace(/\\/g, "/")
    .replace(/^\.\//, "")
    // Keep the HTML comment closed: no `>` (would allow `-->`) and no line breaks inside.
    .replace(/>/g, "%3E")
    .replace(/[\r\n]/g, " ");
  return `<!-- sig-publish:${normalised} -->`;
}

export interface CommentBodyOptions {
  readonly runUrl?: string;
  readonly commitSha?: string;
  readonly limit?: number;
}

/** Marker + markdown + a footer, capped to GitHub's comment limit (the marker always survives). */
export function buildCommentBody(marker: string, markdown: string, options: CommentBodyOptions = {}): string {
  const limit = options.limit ?? COMMENT_LIMIT_CHARS;
  const parts: string[] = [];
  if (options.commitSha !== undefined) parts.push(`commit ${options.commitSha.slice(0, 7)}`);
  if (options.runUrl !== undefined) parts.push(`[run log and job summary](${options.runUrl})`);
  const footer = `\n\n<sub>Updated by sig-publish${parts.length > 0 ? ` · ${parts.join(" · ")}` : ""}</sub>\n`;
  const head = `${marker}\n`;
  const budget = limit - utf16Length(head) - utf16Length(footer);
  const capped = capText(
    markdown.trimEnd(),
    Math.max(0, budget),
    utf16Length,
    (size) =>
      `> [!NOTE]\n> This comment was shortened from ${size} characters (GitHub's limit is ${COMMENT_LIMIT_CHARS}).` +
      (options.runUrl === undefined
        ? " The job summary has the full plan."
        : ` The [job summary](${options.runUrl}) has the full plan.`),
  );
  return `${head}${capped.text.trimEnd()}${footer}`;
}

export interface StickyTarget {
  readonly owner: string;
  readonly repo: string;
  readonly issueNumber: number;
}

export type CommentOutcome =
  | { readonly action: "created" | "updated" | "unchanged"; readonly id: number; readonly url?: string }
  | { readonly action: "skipped"; readonly reason: string }
  | { readonly action: "failed"; readonly reason: string; readonly status?: number };

const REQUEST_TIMEOUT_MS = 30_000;

function requestOptions(): { request: { signal: AbortSignal } } {
  return { request: { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) } };
}

/** Finds the comment carrying `marker` (the oldest, if several), across all pages. */
export async function findMarkedComment(
  octokit: Octokit,
  target: StickyTarget,
  marker: string,
): Promise<{ id: number; body: string } | undefined> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
    ...requestOptions(),
  });
  for await (const page of pages) {
    for (const comment of page.data) {
      if (typeof comment.body === "string" && comment.body.includes(marker)) {
        return { id: comment.id, body: comment.body };
      }
    }
  }
  return undefined;
}

/** Creates the marked comment or updates it in place (no request when the body is unchanged). */
export async function upsertStickyComment(
  octokit: Octokit,
  target: StickyTarget,
  marker: string,
  body: string,
): Promise<CommentOutcome> {
  const existing = await findMarkedComment(octokit, target, marker);
  if (existing !== undefined) {
    if (existing.body === body) return { action: "unchanged", id: existing.id };
    const updated = await octokit.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: existing.id,
      body,
      ...requestOptions(),
    });
    return { action: "updated", id: updated.data.id, url: updated.data.html_url };
  }
  const created = await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    body,
    ...requestOptions(),
  });
  return { action: "created", id: created.data.id, url: created.data.html_url };
}

export interface PlanCommentRequest {
  /** `comment` input. */
  readonly enabled: boolean;
  readonly token?: string;
  /** GITHUB_API_URL (GitHub Enterprise Server, or a fake in tests). */
  readonly apiUrl?: string;
  readonly repository?: { readonly owner: string; readonly repo: string };
  readonly pullRequest?: { readonly number: number; readonly isFork: boolean };
  readonly eventName: string;
  /** Workspace-relative manifest path: the marker. */
  readonly manifestPath: string;
  readonly markdown: string;
  readonly runUrl?: string;
  readonly commitSha?: string;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}

/**
 * Posts or updates the plan comment when it should and can; reports why not otherwise. Never
 * throws.
 */
export async function postPlanComment(request: PlanCommentRequest): Promise<CommentOutcome> {
  const skip = (reason: string): CommentOutcome => {
    core.notice(`No pull request comment: ${reason}`, { title: "sig-publish" });
    return { action: "skipped", reason };
  };
  if (!request.enabled) return skip('the "comment" input is false. The plan is in the job summary.');
  const pr = request.pullRequest;
  if (pr === undefined) return skip(`the ${request.eventName} event carries no pull request number.`);
  // On `pull_request` from a fork the token is read-only: do not even try. (`pull_request_target`
  // runs with the base repository's token and may comment.)
  if (pr.isFork && request.eventName !== "pull_request_target") {
    return skip(
      "this pull request comes from a fork, whose GITHUB_TOKEN is read-only. The plan is in the job summary.",
    );
  }
  if (request.token === undefined || request.token === "") {
    return skip('no "github-token" was given. The plan is in the job summary.');
  }
  if (request.repository === undefined) return skip("GITHUB_REPOSITORY is not set.");

  const octokit = getOctokit(request.token, {
    baseUrl: (request.apiUrl || "https://api.github.com").replace(/\/+$/, ""),
  });
  const target = { owner: request.repository.owner, repo: request.repository.repo, issueNumber: pr.number };
  const marker = commentMarker(request.manifestPath);
  const body = buildCommentBody(marker, request.markdown, {
    ...(request.runUrl === undefined ? {} : { runUrl: request.runUrl }),
    ...(request.commitSha === undefined ? {} : { commitSha: request.commitSha }),
  });
  try {
    const outcome = await upsertStickyComment(octokit, target, marker, body);
    if (outcome.action !== "skipped" && outcome.action !== "failed") {
      core.info(
        `Pull request #${pr.number}: plan comment ${outcome.action}${outcome.url === undefined ? "" : ` (${outcome.url})`}.`,
      );
    }
    return outcome;
  } catch (error) {
    const status = httpStatus(error);
    if (status === 403 || status === 404) {
      return skip(
        `the token may not write pull request comments (HTTP ${status}). Grant "permissions: pull-requests: write" to the job, or set "comment: false". The plan is in the job summary.`,
      );
    }
    const reason = `the GitHub API answered ${status === undefined ? (error as Error).message : `HTTP ${status}: ${(error as Error).message}`}`;
    core.warning(`Could not post the plan comment on pull request #${pr.number}: ${reason}`, {
      title: "sig-publish",
    });
    return { action: "failed", reason, ...(status === undefined ? {} : { status }) };
  }
}
