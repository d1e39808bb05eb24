import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  imageNameOfManifest,
  pullRequestInfo,
  readEventPayload,
  resolveEvent,
  runUrl,
  type EventPayload,
} from "../../../src/adapters/github/event.ts";
import { inputEnvName, readInputs, type Env } from "../../../src/adapters/github/inputs.ts";
import { InputError } from "../../../src/core/problems.ts";

const fixtures = path.resolve(import.meta.dirname, "../../fixtures/events");
const payload = (name: string): EventPayload =>
  JSON.parse(readFileSync(path.join(fixtures, name), "utf8")) as EventPayload;

const baseEnv = {
  GITHUB_REPOSITORY: "contoso/images",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_RUN_ID: "123456789",
  GITHUB_SHA: "ffffffffffffffffffffffffffffffffffffffff",
  GITHUB_REF: "refs/heads/main",
};

function resolve(
  eventName: string,
  event: EventPayload,
  inputs: Record<string, string> = {},
  imageName?: string,
) {
  const env: Record<string, string> = {
    ...baseEnv,
    GITHUB_EVENT_NAME: eventName,
    [inputEnvName("manifest")]: "m.yml",
  };
  for (const [k, v] of Object.entries(inputs)) env[inputEnvName(k)] = v;
  return resolveEvent(readInputs(env), env, event, { imageName: () => imageName });
}

function errorOf(work: () => unknown): InputError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error("expected an InputError");
}

describe("mode resolution", () => {
  it.each([
    ["pull_request", "plan"],
    ["pull_request_target", "plan"],
    ["push", "publish"],
    ["release", "publish"],
    ["workflow_dispatch", "publish"],
    ["schedule", "publish"],
    ["", "publish"],
  ])("auto on %j → %s", (eventName, mode) => {
    const event = eventName === "release" ? payload("release_published.json") : {};
    expect(resolve(eventName, event).mode).toBe(mode);
  });

  it("an explicit mode wins over the event", () => {
    expect(resolve("push", {}, { mode: "plan" }).mode).toBe("plan");
    expect(resolve("pull_request", payload("pull_request.json"), { mode: "publish" }).mode).toBe("publish");
  });
});

describe("release events", () => {
  it("take the version from v1.2.3", () => {
    const info = resolve("release", payload("release_published.json"), {}, "minimal");
    expect(info).toMatchObject({ version: "1.2.3", versionSource: "release-tag", releaseTag: "v1.2.3" });
  });

  it("take the version from name/v1.2.3 when the name matches the manifest's image", () => {
    const info = resolve("release", payload("release_published_prefixed.json"), {}, "minimal");
    expect(info.version).toBe("1.2.3");
  });

  it("reject a tag for another image", () => {
    const error = errorOf(() =>
      resolve("release", payload("release_published_prefixed.json"), {}, "ubuntu-web"),
    );
    expect(error.message).toMatch(/is for "minimal", not for the image "ubuntu-web"/);
  });

  it("check the version part even when the manifest cannot be read", () => {
    expect(resolve("release", payload("release_published_prefixed.json"), {}, undefined).version).toBe(
      "1.2.3",
    );
  });

  it("reject a tag that is not a version, with the accepted forms", () => {
    const error = errorOf(() =>
      resolve("release", payload("release_published_not_a_version.json"), {}, "minimal"),
    );
    expect(error.problems[0]?.code).toBe("version.tag-invalid");
    expect(error.message).toMatch(/Release tag "nightly-2025-06-02"/);
    expect(error.message).toMatch(/v1\.2\.3, 1\.2\.3, minimal\/v1\.2\.3/);
  });

  it("the version input wins over the tag", () => {
    const info = resolve("release", payload("release_published_not_a_version.json"), { version: "3.0.0" });
    expect(info).toMatchObject({
      version: "3.0.0",
      versionSource: "input",
      releaseTag: "nightly-2025-06-02",
    });
  });

  it("a release without tag_name is an error", () => {
    expect(errorOf(() => resolve("release", { action: "published", release: {} })).message).toMatch(
      /no release.tag_name/,
    );
  });

  it("tags are ignored on other events", () => {
    expect(resolve("push", payload("release_published.json")).version).toBeUndefined();
  });
});

describe("pull requests", () => {
  it("same-repository PR: number, not a fork, head sha as commit", () => {
    const info = resolve("pull_request", payload("pull_request.json"));
    expect(info.pullRequest).toMatchObject({
      number: 42,
      isFork: false,
      headRepo: "contoso/images",
      baseRepo: "contoso/images",
    });
    expect(info.commitSha).toBe("6dcb09b5b57875f334f61aebed695e2e4193db5e");
  });

  it("fork PR by full name", () => {
    expect(resolve("pull_request", payload("pull_request_fork.json")).pullRequest).toMatchObject({
      number: 43,
      isFork: true,
    });
  });

  it("fork PR by head.repo.fork even with the same name", () => {
    const event = payload("pull_request.json") as {
      pull_request: { head: { repo: Record<string, unknown> } };
    };
    event.pull_request.head.repo["fork"] = true;
    expect(pullRequestInfo(event as unknown as EventPayload)?.isFork).toBe(true);
  });

  it("a deleted fork (head.repo null) is a fork", () => {
    const event = payload("pull_request_fork.json") as { pull_request: { head: { repo: unknown } } };
    event.pull_request.head.repo = null;
    expect(pullRequestInfo(event as unknown as EventPayload)?.isFork).toBe(true);
  });

  it("no PR facts on push", () => {
    const info = resolve("push", payload("push.json"));
    expect(info.pullRequest).toBeUndefined();
    expect(info.commitSha).toBe(baseEnv.GITHUB_SHA);
  });
});

describe("context", () => {
  it("run URL from server, repository and run id (with the attempt when > 1)", () => {
    expect(runUrl(baseEnv)).toBe("https://github.com/contoso/images/actions/runs/123456789");
    expect(
      runUrl({ ...baseEnv, GITHUB_RUN_ATTEMPT: "2", GITHUB_SERVER_URL: "https://ghe.example.com/" }),
    ).toBe("https://ghe.example.com/contoso/images/actions/runs/123456789/attempts/2");
    expect(runUrl({})).toBeUndefined();
  });

  it("repository and ref", () => {
    const info = resolve("push", payload("push.json"));
    expect(info.repository).toEqual({ owner: "contoso", repo: "images" });
    expect(info.ref).toBe("refs/heads/main");
    expect(info.runUrl).toMatch(/actions\/runs\/123456789$/);
  });
});

describe("readEventPayload", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sig-event-"));

  it("reads the payload file", () => {
    const env: Env = { GITHUB_EVENT_PATH: path.join(fixtures, "push.json") };
    expect(readEventPayload(env)["ref"]).toBe("refs/heads/main");
  });

  it("no path → empty payload (local run)", () => {
    expect(readEventPayload({})).toEqual({});
  });

  it("missing or malformed file → InputError", () => {
    expect(() => readEventPayload({ GITHUB_EVENT_PATH: path.join(dir, "missing.json") })).toThrow(
      /cannot be read/,
    );
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(() => readEventPayload({ GITHUB_EVENT_PATH: bad })).toThrow(/is not JSON/);
  });

  it("reads the image name leniently from a manifest", () => {
    writeFileSync(path.join(dir, "m.yml"), "image:\n  name: ubuntu-web # comment\n");
    writeFileSync(path.join(dir, "broken.yml"), "image: [\n");
    expect(imageNameOfManifest("m.yml", dir)).toBe("ubuntu-web");
    expect(imageNameOfManifest("broken.yml", dir)).toBeUndefined();
    expect(imageNameOfManifest("absent.yml", dir)).toBeUndefined();
  });
});
