/**
 * The action's inputs (action.yml), read from the environment exactly as the runner passes them
 * (`INPUT_` + name upper-cased, spaces → `_`, dashes kept) and validated into one typed object.
 * Every bad input becomes one Problem naming the input and the accepted values; all of them are
 * reported at once in a single InputError.
 */
import type { Bump } from "../../core/manifest/model.ts";
import { InputError, type Problem } from "../../core/problems.ts";
import { checkImageVersion, formatImageVersion } from "../../core/version/index.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export type ModeInput = "auto" | "plan" | "publish";

export const MODES: readonly ModeInput[] = ["auto", "plan", "publish"];
export const BUMPS: readonly Bump[] = ["patch", "minor", "major"];

export interface SourcedValue {
  readonly value: string;
  /** `input "client-id"` or `AZURE_CLIENT_ID`: how to name it in a message. */
  readonly from: string;
}

export interface ActionInputs {
  readonly manifest: string;
  readonly vhd?: string;
  readonly mode: ModeInput;
  readonly version?: string;
  readonly bump?: Bump;
  readonly waitForReplication: boolean;
  readonly timeoutMinutes: number;
  /** The `subscription-id` input, else AZURE_SUBSCRIPTION_ID. */
  readonly subscriptionId?: SourcedValue;
  /** The `tenant-id` input, else AZURE_TENANT_ID. */
  readonly tenantId?: SourcedValue;
  /** The `client-id` input, else AZURE_CLIENT_ID. */
  readonly clientId?: SourcedValue;
  readonly uploadConcurrency: number;
  readonly updateManifest: boolean;
  readonly comment: boolean;
  readonly githubToken?: string;
  /** The `arm-endpoint` input, else SIG_PUBLISH_ARM_ENDPOINT. */
  readonly armEndpoint?: string;
  /** The `blob-endpoint` input, else SIG_PUBLISH_BLOB_ENDPOINT. */
  readonly blobEndpoint?: string;
}

export const TIMEOUT_MINUTES = { min: 1, max: 7200 } as const;
export const UPLOAD_CONCURRENCY = { min: 1, max: 64 } as const;

/** The environment variable the runner sets for an input. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** An input's value as the runner passes it, trimmed; empty when unset. */
export function rawInput(env: Env, name: string): string {
  return (env[inputEnvName(name)] ?? "").trim();
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tenant is a GUID or a verified domain (contoso.onmicrosoft.com). */
const TENANT_DOMAIN =
  /^(?=.{3,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

function problem(input: string, message: string, fix?: string): Problem {
  return { code: "input.invalid", key: input, message, ...(fix === undefined ? {} : { fix }) };
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** The YAML 1.2 core-schema booleans, as @actions/core accepts them; nothing else (no yes/no/1/0). */
function parseBoolean(env: Env, name: string, fallback: boolean, problems: Problem[]): boolean {
  const raw = rawInput(env, name);
  if (raw === "") return fallback;
  if (["true", "True", "TRUE"].includes(raw)) return true;
  if (["false", "False", "FALSE"].includes(raw)) return false;
  problems.push(problem(name, `Input "${name}" is ${quote(raw)}: accepted values are true and false.`));
  return fallback;
}

function parseInteger(
  env: Env,
  name: string,
  fallback: number,
  range: { readonly min: number; readonly max: number },
  problems: Problem[],
): number {
  const raw = rawInput(env, name);
  if (raw === "") return fallback;
  const accepted = `accepted values are whole numbers from ${range.min} to ${range.max}`;
  if (!/^[0-9]+$/.test(raw)) {
    problems.push(problem(name, `Input "${name}" is ${quote(raw)}: ${accepted}.`));
    return fallback;
  }
  const value = Number(raw);
  if (value < range.min || value > range.max) {
    problems.push(problem(name, `Input "${name}" is ${raw}, out of range: ${accepted}.`));
    return fallback;
  }
  return value;
}

function parseEnum<T extends string>(
  env: Env,
  name: string,
  accepted: readonly T[],
  problems: Problem[],
): T | undefined {
  const raw = rawInput(env, name);
  if (raw === "") return undefined;
  const found = accepted.find((candidate) => candidate === raw);
  if (found !== undefined) return found;
  problems.push(
    problem(name, `Input "${name}" is ${quote(raw)}: accepted values are ${accepted.join(", ")}.`),
  );
  return undefined;
}

function parseVersion(env: Env, problems: Problem[]): string | undefined {
  const raw = rawInput(env, "version");
  if (raw === "") return undefined;
  const check = checkImageVersion(raw);
  if (check.ok) return formatImageVersion(check.version);
  problems.push(
    problem(
      "version",
      `Input "version" is ${quote(raw)}, which ${check.reason}: accepted values are MAJOR.MINOR.PATCH (e.g. 1.4.0), or empty to bump from the gallery.`,
      check.fix,
    ),
  );
  return undefined;
}

function sourced(
  env: Env,
  input: string,
  envName: string,
  check: (value: string) => boolean,
  accepted: string,
  problems: Problem[],
): SourcedValue | undefined {
  const fromInput = rawInput(env, input);
  const fromEnv = (env[envName] ?? "").trim();
  const [value, from] = fromInput !== "" ? [fromInput, `input "${input}"`] : [fromEnv, envName];
  if (value === "") return undefined;
  if (!check(value)) {
    const name =
      fromInput !== ""
        ? `Input "${input}"`
        : `Environment variable ${envName} (the default of input "${input}")`;
    problems.push(problem(input, `${name} is ${quote(value)}: accepted values are ${accepted}.`));
    return undefined;
  }
  return { value, from };
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function isLoopback(hostname: string): boolean {
  return (
    LOOPBACK_HOSTS.has(hostname) ||
    /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(hostname) ||
    hostname.endsWith(".localhost")
  );
}

function parseEndpoint(env: Env, input: string, envName: string, problems: Problem[]): string | undefined {
  const fromInput = rawInput(env, input);
  const value = fromInput !== "" ? fromInput : (env[envName] ?? "").trim();
  if (value === "") return undefined;
  const name = fromInput !== "" ? `Input "${input}"` : `Environment variable ${envName}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(
      problem(
        input,
        `${name} is ${quote(value)}: accepted values are absolute https:// URLs (http:// only on loopback, for local emulators).`,
      ),
    );
    return undefined;
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))) {
    return value.replace(/\/+$/, "");
  }
  problems.push(
    problem(
      input,
      `${name} is ${quote(value)}: accepted values are absolute https:// URLs; http:// is accepted only on loopback (127.0.0.1, localhost), because bearer tokens must not travel in clear text.`,
    ),
  );
  return undefined;
}

/**
 * Reads and validates every input of action.yml. Throws one InputError listing every bad input.
 * Defaults are those of action.yml (the runner fills them in; they are repeated here so that the
 * entry point also works when an input is absent from the environment, as in tests).
 */
export function readInputs(env: Env): ActionInputs {
  const problems: Problem[] = [];

  const manifest = rawInput(env, "manifest");
  if (manifest === "") {
    problems.push(
      problem(
        "manifest",
        `Input "manifest" is required: the path of the image manifest, e.g. images/ubuntu-web.image.yml.`,
      ),
    );
  }
  const vhd = rawInput(env, "vhd");
  const mode = parseEnum(env, "mode", MODES, problems) ?? "auto";
  const version = parseVersion(env, problems);
  const bump = parseEnum(env, "bump", BUMPS, problems);
  const waitForReplication = parseBoolean(env, "wait-for-replication", true, problems);
  const timeoutMinutes = parseInteger(env, "timeout-minutes", 240, TIMEOUT_MINUTES, problems);
  const subscriptionId = sourced(
    env,
    "subscription-id",
    "AZURE_SUBSCRIPTION_ID",
    (v) => GUID.test(v),
    "subscription GUIDs (00000000-0000-0000-0000-000000000000)",
    problems,
  );
  const tenantId = sourced(
    env,
    "tenant-id",
    "AZURE_TENANT_ID",
    (v) => GUID.test(v) || TENANT_DOMAIN.test(v),
    "tenant GUIDs or verified domains (contoso.onmicrosoft.com)",
    problems,
  );
  const clientId = sourced(
    env,
    "client-id",
    "AZURE_CLIENT_ID",
    (v) => GUID.test(v),
    "application (client) ID GUIDs",
    problems,
  );
  const uploadConcurrency = parseInteger(env, "upload-concurrency", 8, UPLOAD_CONCURRENCY, problems);
  const updateManifest = parseBoolean(env, "update-manifest", false, problems);
  const comment = parseBoolean(env, "comment", true, problems);
  const githubToken = rawInput(env, "github-token");
  const armEndpoint = parseEndpoint(env, "arm-endpoint", "SIG_PUBLISH_ARM_ENDPOINT", problems);
  const blobEndpoint = parseEndpoint(env, "blob-endpoint", "SIG_PUBLISH_BLOB_ENDPOINT", problems);

  if (problems.length > 0) throw new InputError(problems);

  return {
    manifest,
    ...(vhd === "" ? {} : { vhd }),
    mode,
    ...(version === undefined ? {} : { version }),
    ...(bump === undefined ? {} : { bump }),
    waitForReplication,
    timeoutMinutes,
    ...(subscriptionId === undefined ? {} : { subscriptionId }),
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(clientId === undefined ? {} : { clientId }),
    uploadConcurrency,
    updateManifest,
    comment,
    ...(githubToken === "" ? {} : { githubToken }),
    ...(armEndpoint === undefined ? {} : { armEndpoint }),
    ...(blobEndpoint === undefined ? {} : { blobEndpoint }),
  };
}
