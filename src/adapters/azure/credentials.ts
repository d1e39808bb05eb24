/**
 * Credentials that are not GitHub-specific: a static bearer token (the local ARM emulator; never
 * for real Azure), and the developer-machine chain for the CLI (environment, workload identity,
 * managed identity, Azure CLI, …) via DefaultAzureCredential. The action's OIDC credential lives in
 * src/adapters/github/credentials.ts.
 */
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";

export const STATIC_TOKEN_ENV = "SIG_PUBLISH_STATIC_TOKEN";

export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
  };
}

export function developerCredential(): TokenCredential {
  return new DefaultAzureCredential();
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
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\n")[0] ?? message;
  }
}
