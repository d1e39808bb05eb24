/**
 * Runs `node dist/index.js` as the GitHub runner does: inputs as INPUT_<NAME> (upper case, spaces →
 * `_`, dashes kept) with action.yml's defaults filled in, GITHUB_EVENT_NAME / GITHUB_EVENT_PATH,
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, GITHUB_WORKSPACE as the working directory, and
 * nothing else from the developer's environment (no Azure login is picked up: AZURE_CONFIG_DIR is
 * an empty folder). Returns the exit code, stdout/stderr, the parsed outputs and the summary.
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const DIST = path.join(ROOT, "dist/index.js");
export const EVENTS = path.join(ROOT, "test/fixtures/events");

export interface ActionRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

export interface RunActionOptions {
  readonly workspace: string;
  readonly eventName: string;
  /** A fixture file name under test/fixtures/events, or a payload object. */
  readonly event?: string | Record<string, unknown>;
  readonly inputs?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly apiUrl?: string;
  readonly timeoutMs?: number;
  /** Sends `signal` to the action once its stdout matches `when` (a cancelled workflow). */
  readonly interrupt?: { readonly when: RegExp; readonly signal: NodeJS.Signals };
}

/** The runner's environment variable for an input. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** action.yml defaults, as the runner passes them when the workflow does not set an input. */
export function actionDefaults(token: string): Record<string, string> {
  const action = parse(readFileSync(path.join(ROOT, "action.yml"), "utf8")) as {
    inputs: Record<string, { default?: string }>;
  };
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) {
    if (input.default === undefined) continue;
    defaults[name] = input.default === "${{ github.token }}" ? token : String(input.default);
  }
  return defaults;
}

/** Parses GITHUB_OUTPUT: `name<<DELIMITER\nvalue\nDELIMITER` blocks and `name=value` lines. */
export function parseGithubOutput(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? "";
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const [, name = "", delimiter = ""] = heredoc;
      const value: string[] = [];
      i += 1;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++] ?? "");
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: no closing ${delimiter} for ${name}`);
      outputs[name] = value.join("\n");
      continue;
    }
    const simple = /^([^=]+)=(.*)$/.exec(line);
    if (simple !== null) outputs[simple[1] ?? ""] = simple[2] ?? "";
  }
  return outputs;
}

/** Annotation commands (`::error file=…,line=…::message`) from stdout. */
export function annotations(
  stdout: string,
  kind = "error",
): { properties: Record<string, string>; message: string }[] {
  const result: { properties: Record<string, string>; message: string }[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = new RegExp(`^::${kind}(?: ([^:]*))?::(.*)$`).exec(line);
    if (match === null) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[1] ?? "").split(",").filter((p) => p !== "")) {
      const eq = pair.indexOf("=");
      properties[pair.slice(0, eq)] = decodeURIComponent(pair.slice(eq + 1));
    }
    result.push({
      properties,
      message: (match[2] ?? "").replace(/%0A/g, "\n").replace(/%0D/g, "\r").replace(/%25/g, "%"),
    });
  }
  return result;
}

/** A throwaway repository checkout: `files` maps workspace-relative paths to content or a source file. */
export function makeWorkspace(files: Record<string, string | { copy: string }>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "sig-e2e-ws-"));
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(dir, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    if (typeof content === "string") writeFileSync(target, content);
    else copyFileSync(content.copy, target);
  }
  return dir;
}

/** Newest modification time under src/ (to warn when dist/ is older than the source). */
export function newestSourceMtime(dir = path.join(ROOT, "src")): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function distState(): "missing" | "stale" | "fresh" {
  if (!existsSync(DIST)) return "missing";
  return statSync(DIST).mtimeMs < newestSourceMtime() ? "stale" : "fresh";
}

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const runner = mkdtempSync(path.join(tmpdir(), "sig-e2e-runner-"));
  const outputFile = path.join(runner, "output.txt");
  const summaryFile = path.join(runner, "summary.md");
  const azureConfig = path.join(runner, "azure");
  mkdirSync(azureConfig);
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  let eventPath: string | undefined;
  if (typeof options.event === "string") eventPath = path.join(EVENTS, options.event);
  else if (options.event !== undefined) {
    eventPath = path.join(runner, "event.json");
    writeFileSync(eventPath, JSON.stringify(options.event, null, 2));
  }
  const token = "ghs_e2eFakeToken0123456789";
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: runner,
    AZURE_CONFIG_DIR: azureConfig,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: "contoso/images",
    GITHUB_REPOSITORY_OWNER: "contoso",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: options.apiUrl ?? "http://127.0.0.1:9",
    GITHUB_RUN_ID: "4242",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_SHA: "ffffffffffffffffffffffffffffffffffffffff",
    GITHUB_REF: options.eventName === "release" ? "refs/tags/v1.2.3" : "refs/heads/main",
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runner,
    ...(eventPath === undefined ? {} : { GITHUB_EVENT_PATH: eventPath }),
  };
  for (const [name, value] of Object.entries({ ...actionDefaults(token), ...options.inputs })) {
    env[inputVariable(name)] = value;
  }
  Object.assign(env, options.env);

  const child = spawn(process.execPath, [DIST], {
    cwd: options.workspace,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let interrupted = false;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (options.interrupt !== undefined && !interrupted && options.interrupt.when.test(stdout)) {
      interrupted = true;
      child.kill(options.interrupt.signal);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`dist/index.js did not finish in ${options.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`),
      );
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  return {
    code,
    stdout,
    stderr,
    outputs: parseGithubOutput(readFileSync(outputFile, "utf8")),
    summary: readFileSync(summaryFile, "utf8"),
  };
}
