/**
 * `sig-publish plan|publish|status|upload`: the same engine as the action, from a terminal.
 * Progress and log lines go to stderr; the summary (or JSON with --json) goes to stdout.
 * Exit codes: 0 success, 1 failure (bad input, Azure refused, replication failed), 2 usage.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import type { Bump } from "../core/manifest/model.ts";
import { formatProblem, InputError } from "../core/problems.ts";
import type { AzureAccess, EngineRequest, Logger, Mode } from "../engine/contract.ts";
import { runEngine } from "../engine/run.ts";
import { armScope, PUBLIC_ARM_ENDPOINT } from "../adapters/azure/compute.ts";
import {
  developerCredential,
  probeCredential,
  STATIC_TOKEN_ENV,
  staticTokenCredential,
} from "../adapters/azure/credentials.ts";
import { createProgressReporter } from "./progress.ts";
import { runUploadCommand } from "./upload-command.ts";

export const USAGE = `Usage:
  sig-publish plan    --manifest FILE [--vhd FILE] [--version X] [--bump patch|minor|major] [options]
  sig-publish publish --manifest FILE [--vhd FILE] [--version X] [--bump patch|minor|major] [options]
  sig-publish status  --manifest FILE [--version X] [options]
  sig-publish upload  --vhd FILE --blob-url URL [--concurrency N]

Options:
  --arm-endpoint URL      Azure Resource Manager endpoint (env SIG_PUBLISH_ARM_ENDPOINT)
  --blob-endpoint URL     staging blob endpoint, {account} is replaced (env SIG_PUBLISH_BLOB_ENDPOINT)
  --subscription-id ID    default: gallery.subscription, else AZURE_SUBSCRIPTION_ID
  --no-wait               do not wait for replication
  --timeout-minutes N     replication timeout (default 240)
  --concurrency N         Put Page requests in flight (default 8)
  --update-manifest       write the chosen version back into the manifest
  --workspace DIR         repository root for manifest paths (default: current directory)
  --json                  print the result as JSON instead of the summary
  -h, --help              this text

Credentials, in order: a service principal from AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET,
workload identity (AZURE_FEDERATED_TOKEN_FILE), managed identity (AZURE_USE_MANAGED_IDENTITY=true),
the Azure CLI login; ${STATIC_TOKEN_ENV} for the local emulator only. AZURE_STORAGE_KEY authenticates to the staging
account with its key instead of Entra ID.`;

class UsageError extends Error {}

function parseMode(value: string | undefined): Mode | "upload" {
  if (value === "plan" || value === "publish" || value === "status" || value === "upload") return value;
  throw new UsageError(
    value === undefined
      ? "Missing command."
      : `Unknown command "${value}": use plan, publish, status or upload.`,
  );
}

function parseBump(value: string | undefined): Bump | undefined {
  if (value === undefined) return undefined;
  if (value === "patch" || value === "minor" || value === "major") return value;
  throw new UsageError(`--bump must be patch, minor or major, not "${value}".`);
}

function parsePositiveInt(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(`${name} must be a whole number from 1 to ${max}, not "${value}".`);
  }
  return Number(value);
}

function stderrLogger(): Logger {
  return {
    info: (m) => process.stderr.write(`${m}\n`),
    warning: (m) => process.stderr.write(`warning: ${m}\n`),
    debug: (m) => {
      if (process.env["SIG_PUBLISH_DEBUG"] === "1") process.stderr.write(`debug: ${m}\n`);
    },
    group: async (title, work) => {
      process.stderr.write(`== ${title}\n`);
      return await work();
    },
  };
}

async function resolveAzure(
  mode: Mode,
  armEndpoint: string | undefined,
  blobEndpoint: string | undefined,
  subscriptionId: string | undefined,
  log: Logger,
): Promise<AzureAccess | undefined> {
  const endpoints = {
    ...(armEndpoint === undefined ? {} : { armEndpoint }),
    ...(blobEndpoint === undefined ? {} : { blobEndpoint }),
    ...(subscriptionId === undefined ? {} : { subscriptionId }),
    ...(nonEmpty(process.env["AZURE_STORAGE_KEY"]) === undefined
      ? {}
      : { storageAccountKey: process.env["AZURE_STORAGE_KEY"] as string }),
  };
  const token = process.env[STATIC_TOKEN_ENV];
  if (token !== undefined && token !== "") {
    return {
      credential: staticTokenCredential(token),
      credentialSource: "static token (emulator)",
      ...endpoints,
    };
  }
  const credential = developerCredential();
  const problem = await probeCredential(credential, armScope(armEndpoint ?? PUBLIC_ARM_ENDPOINT));
  if (problem === undefined)
    return {
      credential,
      credentialSource: "environment / workload identity / managed identity / Azure CLI",
      ...endpoints,
    };
  if (mode === "plan") {
    log.warning(`No Azure credentials (${problem}); planning without reading the gallery.`);
    return undefined;
  }
  throw new InputError({
    code: "credentials.missing",
    message: `No usable Azure credentials: ${problem}`,
    fix: "Run `az login` (or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a federated token or secret), then retry.",
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        manifest: { type: "string" },
        vhd: { type: "string" },
        version: { type: "string" },
        bump: { type: "string" },
        "arm-endpoint": { type: "string" },
        "blob-endpoint": { type: "string" },
        "subscription-id": { type: "string" },
        "blob-url": { type: "string" },
        "no-wait": { type: "boolean" },
        "timeout-minutes": { type: "string" },
        concurrency: { type: "string" },
        "update-manifest": { type: "boolean" },
        workspace: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const log = stderrLogger();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.warning(`${signal} received: stopping; a re-run resumes where this one stopped.`);
    controller.abort(new Error(`cancelled by ${signal}`));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    if (positionals.length > 1)
      throw new UsageError(`Unexpected arguments: ${positionals.slice(1).join(" ")}`);
    const command = parseMode(positionals[0]);
    const concurrency = parsePositiveInt("--concurrency", values.concurrency, 8, 64);
    const progress = createProgressReporter(process.stderr);

    if (command === "upload") {
      if (values.vhd === undefined || values["blob-url"] === undefined) {
        throw new UsageError("upload needs --vhd FILE and --blob-url URL.");
      }
      const result = await runUploadCommand({
        vhdPath: values.vhd,
        blobUrl: values["blob-url"],
        concurrency,
        onProgress: progress.report,
        signal: controller.signal,
        log,
      });
      progress.done();
      process.stdout.write(
        values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${result.summary}\n`,
      );
      return 0;
    }

    if (values.manifest === undefined) throw new UsageError(`${command} needs --manifest FILE.`);
    const armEndpoint = values["arm-endpoint"] ?? nonEmpty(process.env["SIG_PUBLISH_ARM_ENDPOINT"]);
    const blobEndpoint = values["blob-endpoint"] ?? nonEmpty(process.env["SIG_PUBLISH_BLOB_ENDPOINT"]);
    const subscriptionId = values["subscription-id"] ?? nonEmpty(process.env["AZURE_SUBSCRIPTION_ID"]);
    const azure = await resolveAzure(command, armEndpoint, blobEndpoint, subscriptionId, log);
    const request: EngineRequest = {
      mode: command,
      manifestPath: values.manifest,
      workspace: values.workspace ?? process.cwd(),
      ...(values.vhd === undefined ? {} : { vhdPath: values.vhd }),
      ...(values.version === undefined ? {} : { version: values.version }),
      ...(values.bump === undefined ? {} : { bump: parseBump(values.bump) as Bump }),
      waitForReplication: values["no-wait"] !== true,
      timeoutMinutes: parsePositiveInt("--timeout-minutes", values["timeout-minutes"], 240, 7 * 24 * 60),
      uploadConcurrency: concurrency,
      updateManifest: values["update-manifest"] === true,
      ...(azure === undefined ? {} : { azure }),
      context: {},
      log,
      onUploadProgress: progress.report,
      signal: controller.signal,
    };
    const result = await runEngine(request);
    progress.done();
    process.stdout.write(
      values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${result.summaryMarkdown.trimEnd()}\n`,
    );
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof InputError) {
      for (const problem of error.problems) process.stderr.write(`error: ${formatProblem(problem)}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    if (process.env["SIG_PUBLISH_DEBUG"] === "1" && error instanceof Error)
      process.stderr.write(`${error.stack}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
