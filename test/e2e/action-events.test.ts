/**
 * End to end on dist/: `node dist/index.js` exactly as the runner starts it, for each event the
 * action meets, with no Azure credentials (plan mode; publish-mode runs that need the local Azure
 * emulators live with the publish tests). Pull-request comments go to a local fake of the GitHub
 * REST API.
 *
 * Runs against dist/ as it is: after changing src/, run `npm run bundle` first (CI's check-dist job
 * and .ci/run fail when the committed dist/ is not what the source builds).
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MIB, writeFixedVhd, patternBytes } from "../helpers/vhd-fixtures.ts";
import { FakeGitHubApi } from "../fakes/github-api.ts";
import {
  annotations,
  distState,
  EVENTS,
  makeWorkspace,
  ROOT,
  runAction,
  type ActionRun,
} from "./run-action.ts";

const MANIFEST = "images/minimal.image.yml";
const MARKER = `<!-- sig-publish:${MANIFEST} -->`;
const STACK_LINE = /^\s+at .+\(?.+:\d+:\d+\)?$/m;

let api: FakeGitHubApi;
let workspace: string;

function releaseEvent(tag: string): Record<string, unknown> {
  const payload = JSON.parse(readFileSync(path.join(EVENTS, "release_published.json"), "utf8")) as {
    release: Record<string, unknown>;
  };
  payload.release["tag_name"] = tag;
  payload.release["name"] = tag;
  return payload;
}

function expectNoStackTrace(run: ActionRun): void {
  expect(run.stdout).not.toMatch(STACK_LINE);
  expect(run.stderr).not.toMatch(STACK_LINE);
  expect(run.stderr).toBe("");
}

beforeAll(async () => {
  const state = distState();
  if (state === "missing") throw new Error("dist/index.js is missing: run `npm run bundle` first.");
  if (state === "stale")
    console.warn("dist/index.js is older than src/: run `npm run bundle` to test the current source.");
  api = await FakeGitHubApi.start({ maxPerPage: 2 });
  workspace = makeWorkspace({ [MANIFEST]: { copy: path.join(ROOT, "examples/images/minimal.image.yml") } });
  // A 32 MiB fixed VHD with a little data (the plan validates the disk locally).
  mkdirSync(path.join(workspace, "out"));
  writeFixedVhd(path.join(workspace, "out/minimal.vhd"), {
    virtualSize: 32 * MIB,
    dataAt: [{ offset: 0, bytes: patternBytes(4096) }],
  });
});
afterAll(async () => {
  await api?.close();
});
afterEach(() => {
  api.reset();
  api.maxPerPage = 2;
});

const planInputs = { manifest: MANIFEST, vhd: "out/minimal.vhd" };

describe("pull_request (same repository)", () => {
  it("plans: summary, outputs, one sticky comment; a second run updates it (found across pages)", async () => {
    api.seed("contoso", "images", 42, ["First!", "Please rebuild", "LGTM"]);
    const first = await runAction({
      workspace,
      eventName: "pull_request",
      event: "pull_request.json",
      inputs: planInputs,
      apiUrl: api.url,
    });
    expect(first.code, first.stdout).toBe(0);
    expectNoStackTrace(first);
    expect(first.outputs["version"]).toBe("1.0.0");
    expect(first.outputs["replication-state"]).toBe("NotStarted");
    const plan = JSON.parse(first.outputs["plan"] ?? "null") as {
      mode: string;
      version: { value: string; lowerBound: boolean };
    };
    expect(plan).toMatchObject({ mode: "plan", version: { value: "1.0.0", lowerBound: true } });
    expect(first.summary).toMatch(/ubuntu-minimal/);
    expect(first.summary).toMatch(/at least 1\.0\.0/i);
    expect(first.stdout).toMatch(/plan comment created/);

    const afterFirst = api.comments("contoso", "images", 42);
    expect(afterFirst).toHaveLength(4);
    const mine = afterFirst.filter((c) => c.body.includes(MARKER));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.body.startsWith(`${MARKER}\n`)).toBe(true);
    expect(mine[0]?.body).toMatch(/ubuntu-minimal/);
    expect(mine[0]?.body).toMatch(
      /commit 6dcb09b · \[run log and job summary\]\(https:\/\/github.com\/contoso\/images\/actions\/runs\/4242\)/,
    );
    expect(api.calls.every((c) => c.authorization === "token ghs_e2eFakeToken0123456789")).toBe(true);

    // More chatter, so that the marked comment sits on page 2 of 3 (the fake serves 2 per page).
    api.seed("contoso", "images", 42, ["one more", "and another"]);
    api.calls.length = 0;
    // A new push to the pull request: new head commit, so the comment's footer changes.
    const pushed = JSON.parse(readFileSync(path.join(EVENTS, "pull_request.json"), "utf8")) as {
      pull_request: { head: { sha: string } };
    };
    pushed.pull_request.head.sha = "0123456789abcdef0123456789abcdef01234567";
    const second = await runAction({
      workspace,
      eventName: "pull_request",
      event: pushed,
      inputs: planInputs,
      apiUrl: api.url,
    });
    expect(second.code, second.stdout).toBe(0);
    const all = api.comments("contoso", "images", 42);
    expect(all.filter((c) => c.body.includes(MARKER))).toHaveLength(1);
    expect(all).toHaveLength(6);
    const gets = api.callsTo("GET");
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(api.callsTo("POST")).toHaveLength(0);
    expect(api.callsTo("PATCH")).toHaveLength(1);
    expect(second.stdout).toMatch(/plan comment updated/);
    expect(all.find((c) => c.body.includes(MARKER))?.body).toMatch(/commit 0123456 ·/);

    // A third run with nothing new changes nothing (no PATCH).
    api.calls.length = 0;
    const third = await runAction({
      workspace,
      eventName: "pull_request",
      event: pushed,
      inputs: planInputs,
      apiUrl: api.url,
    });
    expect(third.code).toBe(0);
    expect(api.callsTo("PATCH")).toHaveLength(0);
    expect(api.callsTo("POST")).toHaveLength(0);
    expect(third.stdout).toMatch(/plan comment unchanged/);
  });

  it("comment: false → no API call, a notice", async () => {
    const run = await runAction({
      workspace,
      eventName: "pull_request",
      event: "pull_request.json",
      inputs: { ...planInputs, comment: "false" },
      apiUrl: api.url,
    });
    expect(run.code).toBe(0);
    expect(api.calls).toHaveLength(0);
    expect(run.stdout).toMatch(
      /^::notice title=sig-publish::No pull request comment: the "comment" input is false/m,
    );
  });

  it("a token without pull-requests: write (403) → notice, still success", async () => {
    api.failWith({ status: 403 });
    const run = await runAction({
      workspace,
      eventName: "pull_request",
      event: "pull_request.json",
      inputs: planInputs,
      apiUrl: api.url,
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      /^::notice title=sig-publish::No pull request comment: the token may not write pull request comments \(HTTP 403\)/m,
    );
    expect(annotations(run.stdout)).toEqual([]);
  });
});

describe("pull_request from a fork", () => {
  it("plans without credentials, no comment attempt, a notice", async () => {
    const run = await runAction({
      workspace,
      eventName: "pull_request",
      event: "pull_request_fork.json",
      inputs: planInputs,
      apiUrl: api.url,
    });
    expect(run.code, run.stdout).toBe(0);
    expect(api.calls).toHaveLength(0);
    expect(run.stdout).toMatch(
      /^::notice title=sig-publish::No pull request comment: this pull request comes from a fork/m,
    );
    expect(run.stdout).toMatch(/comes from a fork \(mallory\/images\)/);
    expect(run.outputs["version"]).toBe("1.0.0");
    expect(run.summary).toMatch(/ubuntu-minimal/);
  });
});

describe("release", () => {
  it.each([
    ["v1.2.3", "1.2.3"],
    ["ubuntu-minimal/v1.2.3", "1.2.3"],
    ["ubuntu-minimal/4.5.6", "4.5.6"],
  ])("tag %s → version %s", async (tag, version) => {
    const run = await runAction({
      workspace,
      eventName: "release",
      event: releaseEvent(tag),
      inputs: { ...planInputs, mode: "plan" },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`Version ${version.replace(/\./g, "\\.")} from release tag ${tag.replace(/\./g, "\\.")}`),
    );
    expect(run.outputs["version"]).toBe(version);
    expect((JSON.parse(run.outputs["plan"] ?? "{}") as { version: { value: string } }).version.value).toBe(
      version,
    );
  });

  it("the committed fixture (release published, v1.2.3)", async () => {
    const run = await runAction({
      workspace,
      eventName: "release",
      event: "release_published.json",
      inputs: { ...planInputs, mode: "plan" },
    });
    expect(run.outputs["version"]).toBe("1.2.3");
  });

  it.each([
    ["nightly-2025-06-02", /Release tag "nightly-2025-06-02" does not name an image version/],
    ["v1.2", /Release tag "v1.2" does not name an image version: "1.2" has 2 parts/],
    ["v1.2.3-rc1", /pre-release suffix/],
    [
      "other-image/v1.2.3",
      /Release tag "other-image\/v1.2.3" is for "other-image", not for the image "ubuntu-minimal"/,
    ],
  ])("tag %s → one clear error, exit 1, no stack trace", async (tag, message) => {
    const run = await runAction({
      workspace,
      eventName: "release",
      event: releaseEvent(tag),
      inputs: planInputs,
    });
    expect(run.code).toBe(1);
    expectNoStackTrace(run);
    const errors = annotations(run.stdout);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(message);
    expect(errors[0]?.message).toMatch(/v1\.2\.3, 1\.2\.3, ubuntu-minimal\/v1\.2\.3/);
    expect(run.summary).toMatch(/has a problem/);
    expect(run.outputs).toEqual({});
  });

  it("auto mode publishes: without credentials a clear error naming id-token: write", async () => {
    const run = await runAction({
      workspace,
      eventName: "release",
      event: "release_published.json",
      inputs: planInputs,
    });
    expect(run.code).toBe(1);
    expectNoStackTrace(run);
    const [error] = annotations(run.stdout);
    expect(error?.message).toMatch(/Publishing needs Azure credentials and none were found/);
    expect(error?.message).toMatch(/permissions: id-token: write/);
    expect(error?.message).toMatch(/"client-id"/);
  });
});

describe("broken manifest", () => {
  it("exit 1, ::error file=…,line=…:: annotations, no stack trace", async () => {
    const broken = makeWorkspace({
      "images/broken.image.yml": [
        "gallery:",
        "  resourceGroup: rg-images",
        "  name: contoso gallery",
        "  location: westeurope",
        "image:",
        "  name: ubuntu-minimal",
        "  publisher: Contoso",
        "  offer: Minimal",
        "  sku: ubuntu-24",
        "  osType: Linux",
        "  colour: blue",
        "version:",
        "  number: 1.0.0",
        "  targetRegions: [mars]",
        "staging:",
        "  storageAccount: contosoimages",
        "",
      ].join("\n"),
    });
    const run = await runAction({
      workspace: broken,
      eventName: "pull_request",
      event: "pull_request.json",
      inputs: { manifest: "images/broken.image.yml" },
      apiUrl: api.url,
    });
    expect(run.code).toBe(1);
    expectNoStackTrace(run);
    expect(run.stdout).toMatch(/^::error title=[^,]*,file=images\/broken\.image\.yml,line=3,col=\d+/m);
    const located = annotations(run.stdout).filter((a) => a.properties["file"] !== undefined);
    expect(located.map((a) => [a.properties["file"], a.properties["line"]])).toEqual(
      expect.arrayContaining([
        ["images/broken.image.yml", "3"],
        ["images/broken.image.yml", "11"],
        ["images/broken.image.yml", "14"],
      ]),
    );
    expect(run.stdout).toMatch(/^::error::3 problems in images\/broken\.image\.yml \(see the annotations\)/m);
    expect(run.summary).toMatch(/`images\/broken.image.yml` has 3 problems/);
    // The PR learns about it too.
    expect(api.comments("contoso", "images", 42)[0]?.body).toMatch(
      /^<!-- sig-publish:images\/broken.image.yml -->\n## sig-publish: `images\/broken.image.yml` has 3 problems/,
    );
  });

  it("a missing manifest: one clear error", async () => {
    const run = await runAction({
      workspace,
      eventName: "push",
      event: "push.json",
      inputs: { manifest: "images/absent.image.yml", mode: "plan" },
    });
    expect(run.code).toBe(1);
    expectNoStackTrace(run);
    expect(run.stdout).toMatch(/absent\.image\.yml/);
  });
});

describe("workflow_dispatch and push", () => {
  it("workflow_dispatch with inputs (the workflow passes them to the action)", async () => {
    const dispatch = JSON.parse(readFileSync(path.join(EVENTS, "workflow_dispatch.json"), "utf8")) as {
      inputs: { version: string; mode: string };
    };
    const run = await runAction({
      workspace,
      eventName: "workflow_dispatch",
      event: "workflow_dispatch.json",
      inputs: { ...planInputs, version: dispatch.inputs.version, mode: dispatch.inputs.mode },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs["version"]).toBe("2.0.0");
    expect(run.stdout).toMatch(/sig-publish: plan images\/minimal\.image\.yml \(mode "plan"\)/);
  });

  it("push, mode auto → publish; without credentials: clear error, exit 1", async () => {
    const run = await runAction({ workspace, eventName: "push", event: "push.json", inputs: planInputs });
    expect(run.code).toBe(1);
    expectNoStackTrace(run);
    expect(run.stdout).toMatch(/mode "auto" on a push event/);
    expect(annotations(run.stdout)[0]?.message).toMatch(/Publishing needs Azure credentials/);
  });

  it("push, mode plan → plan of the next version", async () => {
    const run = await runAction({
      workspace,
      eventName: "push",
      event: "push.json",
      inputs: { ...planInputs, mode: "plan", bump: "major" },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs["version"]).toBe("1.0.0");
    expect(Object.keys(run.outputs)).toEqual(
      expect.arrayContaining(["plan", "replication-state", "version"]),
    );
  });
});

describe("inputs as the runner passes them", () => {
  it("INPUT_UPLOAD-CONCURRENCY (dashes kept) is read and validated", async () => {
    const run = await runAction({
      workspace,
      eventName: "push",
      event: "push.json",
      inputs: { ...planInputs, mode: "plan", "upload-concurrency": "0" },
    });
    expect(run.code).toBe(1);
    expectNoStackTrace(run);
    expect(annotations(run.stdout)[0]?.message).toBe(
      'Input "upload-concurrency" is 0, out of range: accepted values are whole numbers from 1 to 64.',
    );
  });

  it("several bad inputs: all named at once", async () => {
    const run = await runAction({
      workspace,
      eventName: "push",
      event: "push.json",
      inputs: { ...planInputs, mode: "deploy", "wait-for-replication": "yes", bump: "huge" },
    });
    expect(run.code).toBe(1);
    const message = annotations(run.stdout)[0]?.message ?? "";
    expect(message).toMatch(/Input "mode" is "deploy": accepted values are auto, plan, publish\./);
    expect(message).toMatch(/Input "bump" is "huge": accepted values are patch, minor, major\./);
    expect(message).toMatch(/Input "wait-for-replication" is "yes": accepted values are true and false\./);
  });
});
