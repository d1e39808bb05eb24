import { getOctokit } from "@actions/github";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  buildCommentBody,
  COMMENT_LIMIT_CHARS,
  commentMarker,
  postPlanComment,
  upsertStickyComment,
  type PlanCommentRequest,
} from "../../../src/adapters/github/comment.ts";
import { FakeGitHubApi } from "../../fakes/github-api.ts";

let api: FakeGitHubApi;
const OWNER = "contoso";
const REPO = "images";

beforeAll(async () => {
  api = await FakeGitHubApi.start();
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  api.reset();
  api.maxPerPage = 100;
  vi.restoreAllMocks();
});

function captureStdout(): { text: () => string } {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  return { text: () => chunks.join("") };
}

function request(overrides: Partial<PlanCommentRequest> = {}): PlanCommentRequest {
  return {
    enabled: true,
    token: "ghs_test",
    apiUrl: api.url,
    repository: { owner: OWNER, repo: REPO },
    pullRequest: { number: 42, isFork: false },
    eventName: "pull_request",
    manifestPath: "images/web.image.yml",
    markdown: "## Plan\n\n| step | action |\n| --- | --- |\n| version | create 1.0.0 |\n",
    runUrl: "https://github.com/contoso/images/actions/runs/1",
    commitSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
    ...overrides,
  };
}

describe("commentMarker", () => {
  it("is a hidden HTML comment per manifest path", () => {
    expect(commentMarker("images/web.image.yml")).toBe("<!-- sig-publish:images/web.image.yml -->");
    expect(commentMarker("./images\\web.image.yml")).toBe("<!-- sig-publish:images/web.image.yml -->");
  });

  it("cannot be closed early by the path", () => {
    expect(commentMarker("a-->b.yml")).toBe("<!-- sig-publish:a--%3Eb.yml -->");
  });
});

describe("buildCommentBody", () => {
  it("starts with the marker and ends with a footer naming the commit and run", () => {
    const body = buildCommentBody("<!-- m -->", "hello", {
      runUrl: "https://x/runs/1",
      commitSha: "abcdef0123",
    });
    expect(body.startsWith("<!-- m -->\nhello")).toBe(true);
    expect(body).toMatch(/commit abcdef0 · \[run log and job summary\]\(https:\/\/x\/runs\/1\)/);
  });

  it("caps to GitHub's 65536 characters, keeping the marker and a note", () => {
    const huge = `\`\`\`\n${"x".repeat(100)}\n`.repeat(2000);
    const body = buildCommentBody("<!-- m -->", huge, { runUrl: "https://x/runs/1" });
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT_CHARS);
    expect(body.startsWith("<!-- m -->")).toBe(true);
    expect(body).toMatch(/This comment was shortened from \d+ characters/);
  });
});

describe("upsertStickyComment against the fake API", () => {
  const target = { owner: OWNER, repo: REPO, issueNumber: 42 };

  it("creates once, then updates in place; other comments untouched", async () => {
    const octokit = getOctokit("t", { baseUrl: api.url });
    api.seed(OWNER, REPO, 42, ["LGTM", "<!-- sig-publish:other.yml -->\nother plan"]);
    const marker = commentMarker("images/web.image.yml");
    const first = await upsertStickyComment(octokit, target, marker, `${marker}\nv1`);
    expect(first.action).toBe("created");
    const second = await upsertStickyComment(octokit, target, marker, `${marker}\nv2`);
    expect(second).toMatchObject({ action: "updated", id: first.action === "created" ? first.id : -1 });
    const third = await upsertStickyComment(octokit, target, marker, `${marker}\nv2`);
    expect(third.action).toBe("unchanged");
    const bodies = api.comments(OWNER, REPO, 42).map((c) => c.body);
    expect(bodies).toEqual(["LGTM", "<!-- sig-publish:other.yml -->\nother plan", `${marker}\nv2`]);
    expect(api.callsTo("POST")).toHaveLength(1);
    expect(api.callsTo("PATCH")).toHaveLength(1);
  });

  it("finds the marked comment on a later page (Link-header pagination)", async () => {
    api.maxPerPage = 3;
    const marker = commentMarker("images/web.image.yml");
    api.seed(
      OWNER,
      REPO,
      42,
      Array.from({ length: 7 }, (_, i) => `chatter ${i}`),
    );
    api.seed(OWNER, REPO, 42, [`${marker}\nold plan`], "github-actions[bot]");
    api.seed(OWNER, REPO, 42, ["more chatter"]);
    const octokit = getOctokit("t", { baseUrl: api.url });
    const outcome = await upsertStickyComment(octokit, target, marker, `${marker}\nnew plan`);
    expect(outcome.action).toBe("updated");
    expect(api.callsTo("GET").map((c) => c.query["page"] ?? "1")).toEqual(["1", "2", "3"]);
    expect(api.comments(OWNER, REPO, 42).filter((c) => c.body.includes(marker))).toHaveLength(1);
    expect(api.callsTo("POST")).toHaveLength(0);
  });

  it("sends the token", async () => {
    await upsertStickyComment(
      getOctokit("ghs_secret", { baseUrl: api.url }),
      target,
      "<!-- m -->",
      "<!-- m -->\nx",
    );
    expect(api.calls[0]?.authorization).toBe("token ghs_secret");
  });
});

describe("postPlanComment", () => {
  it("posts on a same-repository pull request", async () => {
    captureStdout();
    const outcome = await postPlanComment(request());
    expect(outcome.action).toBe("created");
    const [comment] = api.comments(OWNER, REPO, 42);
    expect(comment?.body.startsWith("<!-- sig-publish:images/web.image.yml -->\n## Plan")).toBe(true);
  });

  it("two manifests keep two comments (matrix)", async () => {
    captureStdout();
    await postPlanComment(request());
    await postPlanComment(request({ manifestPath: "images/db.image.yml" }));
    await postPlanComment(request({ markdown: "## Plan v2" }));
    expect(api.comments(OWNER, REPO, 42)).toHaveLength(2);
  });

  it.each([
    [{ pullRequest: { number: 43, isFork: true } }, /comes from a fork/],
    [{ enabled: false }, /the "comment" input is false/],
    [{ token: "" }, /no "github-token"/],
    [{ pullRequest: undefined }, /carries no pull request number/],
  ] as const)("skips with a notice and no API call: %j", async (overrides, reason) => {
    const out = captureStdout();
    const outcome = await postPlanComment(request(overrides as Partial<PlanCommentRequest>));
    expect(outcome.action).toBe("skipped");
    expect(out.text()).toMatch(/^::notice title=sig-publish::No pull request comment: /m);
    expect(out.text()).toMatch(reason);
    expect(api.calls).toHaveLength(0);
  });

  it("comments on pull_request_target from a fork (the base repository's token)", async () => {
    captureStdout();
    const outcome = await postPlanComment(
      request({ eventName: "pull_request_target", pullRequest: { number: 43, isFork: true } }),
    );
    expect(outcome.action).toBe("created");
  });

  it("a 403 (no pull-requests: write) is a notice, not a failure", async () => {
    const out = captureStdout();
    api.failWith({ status: 403, methods: ["POST", "PATCH"] });
    const outcome = await postPlanComment(request());
    expect(outcome).toMatchObject({ action: "skipped" });
    expect(out.text()).toMatch(
      /::notice title=sig-publish::No pull request comment: the token may not write pull request comments \(HTTP 403\)/,
    );
    expect(out.text()).toMatch(/pull-requests: write/);
    expect(out.text()).not.toMatch(/::error/);
  });

  it("a 403 on listing is a notice too", async () => {
    const out = captureStdout();
    api.failWith({ status: 403 });
    expect((await postPlanComment(request())).action).toBe("skipped");
    expect(out.text()).toMatch(/HTTP 403/);
  });

  it("a server error is a warning, never a throw", async () => {
    const out = captureStdout();
    api.failWith({ status: 500, message: "boom" });
    const outcome = await postPlanComment(request());
    expect(outcome).toMatchObject({ action: "failed", status: 500 });
    expect(out.text()).toMatch(
      /::warning title=sig-publish::Could not post the plan comment on pull request #42/,
    );
  });
});
