import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { run, throttledProgress, type Engine } from "../../../src/action/run.ts";
import { inputEnvName } from "../../../src/adapters/github/inputs.ts";
import type { EngineRequest, EngineResult } from "../../../src/engine/contract.ts";
import { InputError } from "../../../src/core/problems.ts";
import { FakeGitHubApi } from "../../fakes/github-api.ts";

const events = path.resolve(import.meta.dirname, "../../fixtures/events");
const dir = mkdtempSync(path.join(tmpdir(), "sig-run-"));
const summaryFile = path.join(dir, "summary.md");
const outputFile = path.join(dir, "output.txt");
let api: FakeGitHubApi;
let stdout: string[] = [];
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  api = await FakeGitHubApi.start();
  for (const name of ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"]) saved[name] = process.env[name];
  process.env["GITHUB_STEP_SUMMARY"] = summaryFile;
  process.env["GITHUB_OUTPUT"] = outputFile;
});
afterAll(async () => {
  await api.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});
beforeEach(() => {
  writeFileSync(summaryFile, "");
  writeFileSync(outputFile, "");
  stdout = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  api.reset();
});

function env(
  eventFile: string | undefined,
  eventName: string,
  inputs: Record<string, string> = {},
): Record<string, string> {
  const e: Record<string, string> = {
    GITHUB_EVENT_NAME: eventName,
    GITHUB_WORKSPACE: dir,
    GITHUB_REPOSITORY: "contoso/images",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "77",
    GITHUB_SHA: "ffffffffffffffffffffffffffffffffffffffff",
    GITHUB_API_URL: api.url,
    [inputEnvName("manifest")]: "images/minimal.image.yml",
    [inputEnvName("github-token")]: "ghs_token",
  };
  if (eventFile !== undefined) e["GITHUB_EVENT_PATH"] = path.join(events, eventFile);
  for (const [k, v] of Object.entries(inputs)) e[inputEnvName(k)] = v;
  return e;
}

const noCli = {
  createCliCredential: () => ({ getToken: () => Promise.reject(new Error("az not installed")) }),
};

function stubEngine(result: Partial<EngineResult> = {}): Engine & { requests: EngineRequest[] } {
  const requests: EngineRequest[] = [];
  const engine = async (request: EngineRequest): Promise<EngineResult> => {
    requests.push(request);
    return {
      mode: request.mode,
      version: request.version ?? "1.0.0",
      versionIsLowerBound: request.azure === undefined,
      replicationState: "NotStarted",
      plan: { steps: [{ action: "create", what: "image version" }] },
      summaryMarkdown: "## sig-publish plan\n\nCreate version 1.0.0\n",
      ok: true,
      ...result,
    };
  };
  return Object.assign(engine, { requests });
}

const out = (): string => stdout.join("");

describe("run()", () => {
  it("plan on a same-repo pull request: request, outputs, summary, one sticky comment", async () => {
    const engine = stubEngine({ imageDefinitionId: "/subscriptions/x/def", vhdDigest: "sha256:abc" });
    const report = await run({
      engine,
      env: env("pull_request.json", "pull_request"),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(0);
    const [request] = engine.requests;
    expect(request).toMatchObject({
      mode: "plan",
      manifestPath: "images/minimal.image.yml",
      workspace: dir,
      waitForReplication: true,
      timeoutMinutes: 240,
      uploadConcurrency: 8,
      updateManifest: false,
      context: {
        commitSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        runUrl: "https://github.com/contoso/images/actions/runs/77",
        repository: "contoso/images",
        eventName: "pull_request",
      },
    });
    expect(request?.azure).toBeUndefined();
    const outputs = readFileSync(outputFile, "utf8");
    expect(outputs).toMatch(/^version<<ghadelimiter_[\w-]+\n1\.0\.0\n/m);
    expect(outputs).toMatch(/^replication-state<<.*\nNotStarted\n/m);
    expect(outputs).toMatch(/^plan<<.*\n\{"steps":\[\{"action":"create","what":"image version"\}\]\}\n/m);
    expect(outputs).toMatch(/^vhd-digest<<.*\nsha256:abc\n/m);
    expect(readFileSync(summaryFile, "utf8")).toBe("## sig-publish plan\n\nCreate version 1.0.0\n");
    expect(report.comment?.action).toBe("created");
    expect(api.comments("contoso", "images", 42)[0]?.body).toMatch(
      /^<!-- sig-publish:images\/minimal.image.yml -->\n## sig-publish plan/,
    );
  });

  it("fork pull request: plan, no API call, a notice", async () => {
    const report = await run({
      engine: stubEngine(),
      env: env("pull_request_fork.json", "pull_request"),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(0);
    expect(api.calls).toHaveLength(0);
    expect(out()).toMatch(
      /::notice title=sig-publish::No pull request comment: this pull request comes from a fork/,
    );
  });

  it("release v1.2.3 → publish of 1.2.3 (credentials required: a clear error without them)", async () => {
    const engine = stubEngine();
    const report = await run({
      engine,
      env: env("release_published.json", "release"),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(1);
    expect(engine.requests).toHaveLength(0);
    expect(out()).toMatch(/::error::Publishing needs Azure credentials and none were found/);
    expect(report.event).toMatchObject({ mode: "publish", version: "1.2.3", versionSource: "release-tag" });
  });

  it("release in plan mode passes the tag's version to the engine", async () => {
    const engine = stubEngine();
    const report = await run({
      engine,
      env: env("release_published.json", "release", { mode: "plan" }),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(0);
    expect(engine.requests[0]?.version).toBe("1.2.3");
  });

  it("engine InputError with locations: annotations, one failure message, summary, no stack", async () => {
    const engine: Engine = () =>
      Promise.reject(
        new InputError([
          {
            code: "manifest.unknown-key",
            message: 'Unknown key "colour".',
            location: { file: "images/minimal.image.yml", line: 3, column: 3 },
          },
          {
            code: "manifest.bad-region",
            message: 'Unknown region "mars".',
            location: { file: path.join(dir, "images/minimal.image.yml"), line: 9 },
          },
        ]),
      );
    const report = await run({
      engine,
      env: env("push.json", "push", { mode: "plan" }),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(1);
    const text = out();
    expect(text).toMatch(
      /^::error title=sig-publish · manifest.unknown-key,file=images\/minimal.image.yml,line=3,col=3::Unknown key "colour"\.$/m,
    );
    expect(text).toMatch(
      /^::error title=sig-publish · manifest.bad-region,file=images\/minimal.image.yml,line=9::Unknown region "mars"\.$/m,
    );
    expect(text).toMatch(
      /^::error::2 problems in images\/minimal.image.yml \(see the annotations\): nothing was changed in Azure\.$/m,
    );
    expect(text).not.toMatch(/\s+at\s+\S+\s+\(/);
    expect(readFileSync(summaryFile, "utf8")).toMatch(/`images\/minimal.image.yml` has 2 problems/);
  });

  it("a broken manifest on a PR comments the problems", async () => {
    const engine: Engine = () =>
      Promise.reject(
        new InputError({
          code: "c",
          message: "bad",
          location: { file: "images/minimal.image.yml", line: 1 },
        }),
      );
    const report = await run({
      engine,
      env: env("pull_request.json", "pull_request"),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(1);
    expect(report.comment?.action).toBe("created");
  });

  it("bad inputs: one clear message each, exit 1, engine not called", async () => {
    const engine = stubEngine();
    const report = await run({
      engine,
      env: env("push.json", "push", { mode: "yolo", "upload-concurrency": "0" }),
    });
    expect(report.exitCode).toBe(1);
    expect(engine.requests).toHaveLength(0);
    expect(out()).toMatch(
      /::error::Input "mode" is "yolo": accepted values are auto, plan, publish\.%0AInput "upload-concurrency" is 0, out of range/,
    );
  });

  it("unexpected error: message, stack only in debug", async () => {
    const engine: Engine = () => Promise.reject(new TypeError("x is undefined"));
    const report = await run({
      engine,
      env: env("push.json", "push", { mode: "plan" }),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(1);
    const text = out();
    expect(text).toMatch(/^::error::sig-publish failed unexpectedly: x is undefined$/m);
    expect(text).toMatch(/^::debug::TypeError: x is undefined%0A\s+at /m);
  });

  it("a result that is not ok fails the step", async () => {
    const report = await run({
      engine: stubEngine({ ok: false, mode: "publish", replicationState: "Failed", version: "1.0.1" }),
      env: env("push.json", "push", { mode: "plan" }),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(1);
    expect(out()).toMatch(/::error::Publishing 1.0.1 did not complete: replication state Failed/);
  });

  it("a plan with blockers fails the step, naming them", async () => {
    const report = await run({
      engine: stubEngine({
        ok: false,
        plan: {
          blockers: [
            {
              code: "definition.conflict",
              message: "osType differs: Windows in Azure, Linux in the manifest.",
              fix: "Use a new image definition.",
            },
          ],
        },
      }),
      env: env("pull_request.json", "pull_request"),
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(1);
    expect(out()).toMatch(
      /::error::The plan cannot be carried out:%0A- osType differs: Windows in Azure, Linux in the manifest. Fix: Use a new image definition./,
    );
    expect(report.comment?.action).toBe("created");
  });

  it("cancellation: the engine gets the signal; an abort is reported as cancelled", async () => {
    const controller = new AbortController();
    const engine: Engine = (request) =>
      new Promise((_, reject) => {
        request.signal?.addEventListener("abort", () => reject(new Error("aborted")));
        controller.abort();
      });
    const report = await run({
      engine,
      env: env("push.json", "push", { mode: "plan" }),
      signal: controller.signal,
      credentialDependencies: noCli,
    });
    expect(report.exitCode).toBe(1);
    expect(out()).toMatch(/::error::sig-publish was cancelled/);
  });

  it("workflow_dispatch: the version input (from the dispatch inputs) and the vhd path", async () => {
    const engine = stubEngine();
    await run({
      engine,
      env: env("workflow_dispatch.json", "workflow_dispatch", {
        mode: "plan",
        version: "2.0.0",
        vhd: "out/x.vhd",
      }),
      credentialDependencies: noCli,
    });
    expect(engine.requests[0]).toMatchObject({
      mode: "plan",
      version: "2.0.0",
      vhdPath: path.join(dir, "out/x.vhd"),
    });
  });
});

describe("upload progress", () => {
  it("logs at most every 5 s per disk, and the final line once", () => {
    const lines: string[] = [];
    let t = 0;
    const log = throttledProgress(
      (l) => lines.push(l),
      5000,
      () => t,
    );
    const p = (scanned: number, disk = "os") => ({
      disk,
      totalBytes: 100 * 2 ** 20,
      scannedBytes: scanned * 2 ** 20,
      sentBytes: 0,
      skippedBytes: 0,
      bytesPerSecond: 2 ** 20,
      etaSeconds: 90,
    });
    log(p(1));
    t = 1000;
    log(p(2));
    log(p(2, "lun-0"));
    t = 5000;
    log(p(3));
    t = 5001;
    log(p(100));
    log(p(100));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      "Upload os: 1% of 100 MiB scanned, 0 B sent, 0 B of zero pages skipped, 1.0 MiB/s, ETA 1m30s",
    );
    expect(lines[3]).toMatch(/^Upload os: 100%/);
  });
});
