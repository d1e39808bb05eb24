/**
 * How the action reaches Azure (AzureAccess), chosen in this order:
 *
 * 1. `SIG_PUBLISH_STATIC_TOKEN`: a fixed bearer token. **Test-only** (the local emulators);
 *    never use it against real Azure.
 * 2. Managed identity, when `AZURE_USE_MANAGED_IDENTITY=true` (self-hosted runners on Azure VMs or
 *    scale sets); `client-id` / AZURE_CLIENT_ID selects a user-assigned identity. An explicit
 *    opt-in, so it wins over what is merely detected.
 * 3. GitHub OIDC (workload identity federation), when the job may request an ID token
 *    (`permissions: id-token: write` sets ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN) and `client-id` and
 *    `tenant-id` are known (inputs, else AZURE_CLIENT_ID / AZURE_TENANT_ID). The assertion callback
 *    asks GitHub for a fresh ID token on every call: ID tokens expire after minutes, publishes run
 *    for hours, and MSAL calls back whenever it needs a new access token.
 * 4. The Azure CLI, when `az` is logged in (e.g. after `azure/login`).
 *
 * The staging storage account is reached with the same credential (Entra ID, needs a data-plane
 * role), unless AZURE_STORAGE_KEY holds its shared key (masked; for accounts without Entra data
 * access, and for Azurite).
 *
 * The credential is probed once (one token for ARM). In plan mode no credential, or one that does
 * not work, is fine: the engine plans without Azure and says what it cannot know. In publish mode it
 * is an InputError that says which inputs or permissions are missing. Every token obtained is
 * registered with `core.setSecret`, so that it is masked should it ever reach the log.
 */
import * as core from "@actions/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { AzureCliCredential, ClientAssertionCredential, ManagedIdentityCredential } from "@azure/identity";
import { staticTokenCredential } from "../azure/credentials.ts";
import type { AzureAccess } from "../../engine/contract.ts";
import { InputError } from "../../core/problems.ts";
import type { ActionInputs, Env } from "./inputs.ts";

/** The audience Microsoft Entra expects in GitHub ID tokens used for workload identity federation. */
export const AZURE_OIDC_AUDIENCE = "api://AzureADTokenExchange";
export const DEFAULT_ARM_ENDPOINT = "https://management.azure.com";
const PROBE_TIMEOUT_MS = 60_000;

export type CredentialKind = "static" | "managed-identity" | "oidc" | "azure-cli";

export interface CredentialDependencies {
  readonly getIDToken: (audience: string) => Promise<string>;
  readonly setSecret: (secret: string) => void;
  readonly createCliCredential: () => TokenCredential;
  readonly createManagedIdentityCredential: (clientId: string | undefined) => TokenCredential;
  readonly createAssertionCredential: (
    tenantId: string,
    clientId: string,
    getAssertion: () => Promise<string>,
  ) => TokenCredential;
}

export const defaultCredentialDependencies: CredentialDependencies = {
  getIDToken: (audience) => core.getIDToken(audience),
  setSecret: (secret) => core.setSecret(secret),
  createCliCredential: () => new AzureCliCredential({ processTimeoutInMs: 30_000 }),
  createManagedIdentityCredential: (clientId) =>
    clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId }),
  createAssertionCredential: (tenantId, clientId, getAssertion) =>
    new ClientAssertionCredential(tenantId, clientId, getAssertion),
};

export interface ResolveAzureAccessOptions {
  readonly inputs: ActionInputs;
  readonly env: Env;
  readonly mode: "plan" | "publish";
  readonly deps?: Partial<CredentialDependencies>;
}

/** A fixed bearer token (local emulators only). */
/** Wraps a credential so that every token it hands out is masked in the log. */
export function maskingCredential(
  inner: TokenCredential,
  setSecret: (secret: string) => void,
): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const token = await inner.getToken(scopes, options);
      if (token !== null && token.token !== "") setSecret(token.token);
      return token;
    },
  };
}

/** The OAuth scope for ARM at `armEndpoint`. */
export function armScope(armEndpoint: string | undefined): string {
  return `${(armEndpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, "")}/.default`;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && ["true", "1", "yes"].includes(value.trim().toLowerCase());
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split("\n").find((l) => l.trim() !== "") ?? message;
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}

async function probe(credential: TokenCredential, scope: string): Promise<void> {
  const token = await credential.getToken(scope, { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  if (token === null) throw new Error("the credential returned no token");
}

interface Candidate {
  readonly kind: CredentialKind;
  readonly source: string;
  readonly credential: TokenCredential;
  /** Extra advice when the probe fails. */
  readonly hint: string;
}

/** What is missing for OIDC, in words, for the publish-mode error. */
export function missingForOidc(inputs: ActionInputs, env: Env): string[] {
  const missing: string[] = [];
  if (!env["ACTIONS_ID_TOKEN_REQUEST_URL"] || !env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]) {
    missing.push(
      'no GitHub ID token can be requested: the job needs "permissions: id-token: write" (fork pull requests never get one)',
    );
  }
  if (inputs.clientId === undefined)
    missing.push('no client ID: set the "client-id" input or AZURE_CLIENT_ID');
  if (inputs.tenantId === undefined)
    missing.push('no tenant ID: set the "tenant-id" input or AZURE_TENANT_ID');
  return missing;
}

function candidates(inputs: ActionInputs, env: Env, deps: CredentialDependencies): Candidate[] {
  const list: Candidate[] = [];
  const staticToken = env["SIG_PUBLISH_STATIC_TOKEN"];
  if (staticToken !== undefined && staticToken !== "") {
    deps.setSecret(staticToken);
    list.push({
      kind: "static",
      source: "static token (SIG_PUBLISH_STATIC_TOKEN, test-only)",
      credential: staticTokenCredential(staticToken),
      hint: "",
    });
    return list;
  }
  if (truthy(env["AZURE_USE_MANAGED_IDENTITY"])) {
    const clientId = inputs.clientId?.value;
    list.push({
      kind: "managed-identity",
      source:
        clientId === undefined
          ? "managed identity (system-assigned)"
          : `managed identity (user-assigned ${clientId})`,
      credential: deps.createManagedIdentityCredential(clientId),
      hint: "AZURE_USE_MANAGED_IDENTITY=true needs a runner on an Azure VM or scale set with that identity assigned.",
    });
    return list;
  }
  if (
    missingForOidc(inputs, env).length === 0 &&
    inputs.clientId !== undefined &&
    inputs.tenantId !== undefined
  ) {
    const getAssertion = async (): Promise<string> => {
      // Afresh on every call: a cached ID token would expire during long publishes.
      const idToken = await deps.getIDToken(AZURE_OIDC_AUDIENCE);
      deps.setSecret(idToken);
      return idToken;
    };
    list.push({
      kind: "oidc",
      source: `OIDC (GitHub → Entra app ${inputs.clientId.value})`,
      credential: deps.createAssertionCredential(inputs.tenantId.value, inputs.clientId.value, getAssertion),
      hint:
        "Check that the app registration (or user-assigned identity) has a federated credential for this workflow's subject " +
        "(repo:<owner>/<repo>:environment:<name>, :ref:refs/heads/<branch>, :ref:refs/tags/<tag> or :pull_request) " +
        `with audience ${AZURE_OIDC_AUDIENCE}.`,
    });
  }
  list.push({
    kind: "azure-cli",
    source: "Azure CLI (az login / azure/login)",
    credential: deps.createCliCredential(),
    hint: "",
  });
  return list;
}

/**
 * Finds a working credential, or returns undefined in plan mode. Throws InputError in publish mode
 * when none works, naming what is missing.
 */
export async function resolveAzureAccess(
  options: ResolveAzureAccessOptions,
): Promise<AzureAccess | undefined> {
  const given: CredentialDependencies = { ...defaultCredentialDependencies, ...options.deps };
  // Register each secret once (tokens are reused until they expire).
  const masked = new Set<string>();
  const deps: CredentialDependencies = {
    ...given,
    setSecret: (secret) => {
      if (masked.has(secret)) return;
      masked.add(secret);
      given.setSecret(secret);
    },
  };
  const { inputs, env, mode } = options;
  const scope = armScope(inputs.armEndpoint);
  const failures: string[] = [];

  for (const candidate of candidates(inputs, env, deps)) {
    const credential = maskingCredential(candidate.credential, deps.setSecret);
    try {
      await probe(credential, scope);
    } catch (error) {
      // The CLI is only a fallback: "not logged in" / "not installed" is not worth a warning.
      if (candidate.kind === "azure-cli") {
        core.debug(`Azure CLI credential unavailable: ${firstLine(error)}`);
        continue;
      }
      const failure = `${candidate.source} failed: ${firstLine(error)}${candidate.hint === "" ? "" : ` ${candidate.hint}`}`;
      failures.push(failure);
      if (mode === "plan") core.warning(`${failure} Planning without Azure access.`);
      continue;
    }
    core.info(`Azure credentials: ${candidate.source}.`);
    const storageKey = env["AZURE_STORAGE_KEY"];
    if (storageKey !== undefined && storageKey !== "") {
      deps.setSecret(storageKey);
      core.info("Staging storage account: shared key from AZURE_STORAGE_KEY.");
    }
    return {
      credential,
      credentialSource: candidate.source,
      ...(inputs.subscriptionId === undefined ? {} : { subscriptionId: inputs.subscriptionId.value }),
      ...(inputs.armEndpoint === undefined ? {} : { armEndpoint: inputs.armEndpoint }),
      ...(inputs.blobEndpoint === undefined ? {} : { blobEndpoint: inputs.blobEndpoint }),
      ...(storageKey === undefined || storageKey === "" ? {} : { storageAccountKey: storageKey }),
    };
  }

  if (mode === "plan") {
    if (failures.length === 0) {
      core.debug(
        "No Azure credentials found (static token, managed identity, OIDC, Azure CLI): plan without Azure.",
      );
    }
    return undefined;
  }
  if (failures.length > 0) {
    throw new InputError(
      failures.map((message) => ({ code: "credentials.failed", message: `Azure sign-in: ${message}` })),
    );
  }
  const missing = missingForOidc(inputs, env);
  throw new InputError({
    code: "credentials.missing",
    message: `Publishing needs Azure credentials and none were found: ${missing.join("; ")}; and the Azure CLI is not logged in.`,
    fix:
      'Grant the job "permissions: id-token: write" and set "client-id", "tenant-id" (and "subscription-id") for OIDC, ' +
      "or run azure/login before this step, or set AZURE_USE_MANAGED_IDENTITY=true on a self-hosted runner in Azure. " +
      'To only see what would change, use "mode: plan".',
  });
}
