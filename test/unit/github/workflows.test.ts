/**
 * Every workflow (.github/workflows, examples/workflows) and action.yml passes the installed
 * validator (@action-validator/core and its CLI, npm @action-validator/* 0.6.0) and the
 * expression lint of workflow-lint.ts; deliberately broken fixtures prove both bite.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { lintWorkflow, pinDrift, usesLines } from "./workflow-lint.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const require = createRequire(import.meta.url);
const validator = require("@action-validator/core") as {
  validateAction(src: string): { errors: { code: string; path?: string; title: string; detail?: string }[] };
  validateWorkflow(src: string): {
    errors: { code: string; path?: string; title: string; detail?: string }[];
  };
};
const cli = path.join(root, "node_modules/@action-validator/cli/cli.mjs");
const run = promisify(execFile);

/** Our own action and reusable workflow are referenced by their moving major tag, as users do. */
const OWN_ACTIONS = ["org/sig-publish"];

function yamlFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => `${dir}/${f}`);
}

const workflows = [...yamlFiles(".github/workflows"), ...yamlFiles("examples/workflows")];
const read = (file: string): string => readFileSync(path.join(root, file), "utf8");

async function runCli(file: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [cli, file], { cwd: root });
    return { code: 0, stderr: "" };
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? "" };
  }
}

describe("workflow validation (action-validator)", () => {
  it("finds the workflows", () => {
    expect(workflows).toEqual(
      expect.arrayContaining([
        ".github/workflows/ci.yml",
        ".github/workflows/publish.yml",
        "examples/workflows/pull-request.yml",
        "examples/workflows/push-main.yml",
        "examples/workflows/release.yml",
      ]),
    );
  });

  it.each(workflows)("%s is a valid workflow", (file) => {
    expect(validator.validateWorkflow(read(file)).errors).toEqual([]);
  });

  it("action.yml is a valid action (node24 checked apart: the validator's bundled schema predates it)", () => {
    const text = read("action.yml");
    const action = parse(text) as { runs: { using: string; main: string } };
    expect(action.runs).toEqual({ using: "node24", main: "dist/index.js" });
    // The only complaint about the real file is the runs.using enum …
    const errors = validator.validateAction(text).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "one_of", path: "/runs" });
    expect(JSON.stringify(errors[0])).toMatch(/"path":"\/runs\/using"/);
    // … and with that one value swapped for one the schema knows, nothing else is wrong.
    expect(validator.validateAction(text.replace(/using: "node24"/, 'using: "node20"')).errors).toEqual([]);
  });

  it("the broken fixture fails, through the core and through the CLI", async () => {
    const file = "test/fixtures/workflows/broken.yml";
    const errors = validator.validateWorkflow(read(file)).errors;
    expect(errors.length).toBeGreaterThan(0);
    const result = await runCli(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/"errors"/);
  });

  it("the CLI accepts a real workflow (exit 0)", async () => {
    expect((await runCli(".github/workflows/publish.yml")).code).toBe(0);
  });
});

describe("workflow expression lint", () => {
  it.each(workflows)("%s: expressions, references and pins", (file) => {
    expect(lintWorkflow(file, read(file), OWN_ACTIONS)).toEqual([]);
  });

  it("one SHA per third-party action across CI and the examples", () => {
    const uses = workflows.flatMap((file) => usesLines(file, read(file)));
    expect(uses.length).toBeGreaterThan(5);
    expect(pinDrift(uses)).toEqual([]);
  });

  it("bites on the bad-expressions fixture (which action-validator accepts)", () => {
    const file = "test/fixtures/workflows/bad-expressions.yml";
    expect(validator.validateWorkflow(read(file)).errors).toEqual([]);
    const problems = lintWorkflow(file, read(file), OWN_ACTIONS);
    const expected = [
      /outputs.version: job "publish" has no output "versoin"/,
      /inputs.manifests is not a declared input/,
      /split\(\) is not a GitHub expression function/,
      /secrets.AZURE_CLIENT_ID is not declared under on.workflow_call.secrets/,
      /steps.publish is not a step id of this job/,
      /needs.prepare is not in this job's needs/,
      /matrix.region in a job without a matrix/,
      /actions\/checkout@v7 is not pinned to a full commit SHA/,
    ];
    for (const pattern of expected)
      expect(
        problems.some((p) => pattern.test(p)),
        String(pattern),
      ).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });
});

describe("reusable workflow contract", () => {
  const publish = parse(read(".github/workflows/publish.yml")) as {
    on: {
      workflow_call: {
        inputs: Record<string, unknown>;
        secrets: Record<string, unknown>;
        outputs: Record<string, unknown>;
      };
    };
    jobs: Record<
      string,
      {
        permissions?: Record<string, string>;
        concurrency?: { group: string; "cancel-in-progress": boolean };
        environment?: string;
        strategy?: { "fail-fast": boolean };
      }
    >;
  };

  it("has the inputs, secrets and outputs callers rely on", () => {
    expect(Object.keys(publish.on.workflow_call.inputs)).toEqual(
      expect.arrayContaining([
        "manifests",
        "vhd-artifact",
        "vhd-path",
        "mode",
        "environment",
        "version",
        "bump",
      ]),
    );
    expect(Object.keys(publish.on.workflow_call.secrets)).toEqual([
      "AZURE_CLIENT_ID",
      "AZURE_TENANT_ID",
      "AZURE_SUBSCRIPTION_ID",
    ]);
    expect(Object.keys(publish.on.workflow_call.outputs)).toEqual(
      expect.arrayContaining(["results", "versions", "image-version-ids", "version", "image-version-id"]),
    );
  });

  it("least privilege per job; publish serialised per image, never cancelled", () => {
    const { prepare, plan, publish: pub, collect } = publish.jobs;
    expect(prepare?.permissions).toEqual({ contents: "read" });
    expect(collect?.permissions).toEqual({ contents: "read" });
    expect(plan?.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(pub?.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(pub?.environment).toBe("${{ inputs.environment }}");
    expect(pub?.concurrency).toEqual({
      group: "sig-publish/${{ matrix.target.key }}",
      "cancel-in-progress": false,
    });
    expect(pub?.strategy?.["fail-fast"]).toBe(false);
    expect(plan?.strategy?.["fail-fast"]).toBe(false);
  });
});
