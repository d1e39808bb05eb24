/**
 * Credentials that are not GitHub-specific: a static bearer token (the local ARM emulator; never
 * for real Azure), and the CLI's chain. The action's chain (with GitHub OIDC) lives in
 * src/adapters/github/credentials.ts and follows the same rules.
 *
 * The CLI's chain is explicit rather than DefaultAzureCredential: managed identity is used only
 * when asked for (AZURE_USE_MANAGED_IDENTITY=true), so a developer machine never probes the
 * instance metadata endpoint, and what is tried is predictable.
 */
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import {
  AzureCliCredential,
  ChainedTokenCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";

export const STATIC_TOKEN_ENV = "SIG_PUBLISH_STATIC_TOKEN";

export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
}

/**
 * The CLI's credentials, in order: a service principal from the environment (AZURE_CLIENT_ID,
 * AZURE_TENANT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload identity
 * (AZURE_FEDERATED_TOKEN_FILE, e.g. Kubernetes), managed identity when AZURE_USE_MANAGED_IDENTITY=true,
 * then the Azure CLI's login.
 */
export function developerCredential(env: NodeJS.ProcessEnv = process.env): TokenCredential {
  const chain: TokenCredential[] = [];
  const clientId = env["AZURE_CLIENT_ID"];
  if (clientId !== undefined && env["AZURE_TENANT_ID"] !== undefined) {
    if (env["AZURE_FEDERATED_TOKEN_FILE"] !== undefined) chain.push(new WorkloadIdentityCredential());
    else chain.push(new EnvironmentCredential());
  }
  if (/^true$/i.test(env["AZURE_USE_MANAGED_IDENTITY"] ?? "")) {
    chain.push(
      clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId }),
    );
  }
  chain.push(new AzureCliCredential());
  return new ChainedTokenCredential(...chain);
}

/**
 * Asks for one token to learn whether the credential works at all. Returns the reason when it
 * does not (plan mode then plans without Azure; publish mode fails with that reason).
 */
export async function probeCredential(
  credential: TokenCredential,
  scope: string,
  timeoutMs = 20_000,
): Promise<string | undefined> {
  try {
    const token = await credential.getToken(scope, { abortSignal: AbortSignal.timeout(timeoutMs) });
    return token === null ? "the credential returned no token" : undefined;
  } catch (error) {
    // A chain fails with one AggregateAuthenticationError whose `errors` say why each link failed.
    const links = (error as { errors?: unknown[] } | undefined)?.errors;
    if (Array.isArray(links) && links.length > 0) {
      return links.map((e) => firstLine(e instanceof Error ? e.message : String(e))).join("; ");
    }
    return firstLine(error instanceof Error ? error.message : String(error));
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
