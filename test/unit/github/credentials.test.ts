import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  armScope,
  AZURE_OIDC_AUDIENCE,
  resolveAzureAccess,
  type CredentialDependencies,
} from "../../../src/adapters/github/credentials.ts";
import { inputEnvName, readInputs, type Env } from "../../../src/adapters/github/inputs.ts";
import { InputError } from "../../../src/core/problems.ts";

const CLIENT = "11111111-1111-1111-1111-111111111111";
const TENANT = "22222222-2222-2222-2222-222222222222";
const SUB = "33333333-3333-3333-3333-333333333333";

afterEach(() => vi.restoreAllMocks());

function quiet(): { text: () => string } {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join("") };
}

const working = (token: string): TokenCredential => ({
  getToken: (): Promise<AccessToken> => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
});
const failing = (message: string): TokenCredential => ({
  getToken: () => Promise.reject(new Error(message)),
});

interface Recorder {
  deps: Partial<CredentialDependencies>;
  secrets: string[];
  idTokenCalls: string[];
  assertions: string[];
}

function recorder(overrides: Partial<CredentialDependencies> = {}): Recorder {
  const r: Recorder = { deps: {}, secrets: [], idTokenCalls: [], assertions: [] };
  let n = 0;
  r.deps = {
    setSecret: (s) => r.secrets.push(s),
    getIDToken: (audience) => {
      r.idTokenCalls.push(audience);
      n += 1;
      return Promise.resolve(`id-token-${n}`);
    },
    createCliCredential: () => failing("Azure CLI could not be found"),
    createManagedIdentityCredential: () => working("mi-token"),
    // A fake ClientAssertionCredential: asks for an assertion on every getToken, like MSAL does on refresh.
    createAssertionCredential: (_tenant, _client, getAssertion) => ({
      getToken: async () => {
        const assertion = await getAssertion();
        r.assertions.push(assertion);
        return { token: `aad-for-${assertion}`, expiresOnTimestamp: Date.now() + 3600_000 };
      },
    }),
    ...overrides,
  };
  return r;
}

function env(inputs: Record<string, string>, extra: Record<string, string> = {}): Env {
  const e: Record<string, string> = { [inputEnvName("manifest")]: "m.yml", ...extra };
  for (const [k, v] of Object.entries(inputs)) e[inputEnvName(k)] = v;
  return e;
}

const oidcEnv = {
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example/abc?api-version=2.0",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
};

async function resolve(e: Env, mode: "plan" | "publish", r: Recorder) {
  return resolveAzureAccess({ inputs: readInputs(e), env: e, mode, deps: r.deps });
}

describe("credential selection", () => {
  it("OIDC when an ID token can be requested and client/tenant are known; a fresh ID token per assertion", async () => {
    quiet();
    const r = recorder();
    const access = await resolve(
      env({ "client-id": CLIENT, "tenant-id": TENANT, "subscription-id": SUB }, oidcEnv),
      "publish",
      r,
    );
    expect(access?.credentialSource).toMatch(/^OIDC/);
    expect(access?.subscriptionId).toBe(SUB);
    await access?.credential.getToken(armScope(undefined));
    await access?.credential.getToken(armScope(undefined));
    expect(r.idTokenCalls).toEqual([AZURE_OIDC_AUDIENCE, AZURE_OIDC_AUDIENCE, AZURE_OIDC_AUDIENCE]);
    expect(r.assertions).toEqual(["id-token-1", "id-token-2", "id-token-3"]);
    expect(r.secrets).toEqual(
      expect.arrayContaining(["id-token-1", "aad-for-id-token-1", "aad-for-id-token-3"]),
    );
  });

  it("client and tenant from AZURE_* env", async () => {
    quiet();
    const access = await resolve(
      env({}, { ...oidcEnv, AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT }),
      "publish",
      recorder(),
    );
    expect(access?.credentialSource).toMatch(/^OIDC/);
  });

  it("Azure CLI when OIDC is not configured and az is logged in", async () => {
    quiet();
    const access = await resolve(
      env({}),
      "publish",
      recorder({ createCliCredential: () => working("cli-token") }),
    );
    expect(access?.credentialSource).toMatch(/Azure CLI/);
  });

  it("managed identity on opt-in, user-assigned with client-id", async () => {
    quiet();
    let used: string | undefined = "unset";
    const access = await resolve(
      env(
        { "client-id": CLIENT },
        { ...oidcEnv, AZURE_USE_MANAGED_IDENTITY: "true", AZURE_TENANT_ID: TENANT },
      ),
      "publish",
      recorder({
        createManagedIdentityCredential: (clientId) => {
          used = clientId;
          return working("mi");
        },
      }),
    );
    expect(access?.credentialSource).toBe(`managed identity (user-assigned ${CLIENT})`);
    expect(used).toBe(CLIENT);
  });

  it("static token (test-only) wins and is masked; endpoints passed through", async () => {
    quiet();
    const r = recorder();
    const access = await resolve(
      env(
        { "arm-endpoint": "http://127.0.0.1:4000" },
        {
          SIG_PUBLISH_STATIC_TOKEN: "emulator",
          SIG_PUBLISH_BLOB_ENDPOINT: "http://127.0.0.1:10000/devstoreaccount1",
          ...oidcEnv,
        },
      ),
      "publish",
      r,
    );
    expect(access).toMatchObject({
      credentialSource: expect.stringMatching(/static token/),
      armEndpoint: "http://127.0.0.1:4000",
      blobEndpoint: "http://127.0.0.1:10000/devstoreaccount1",
    });
    expect(r.secrets).toContain("emulator");
    expect(access?.storageAccountKey).toBeUndefined();
  });

  it("AZURE_STORAGE_KEY becomes the staging account's shared key, masked", async () => {
    quiet();
    const r = recorder();
    const access = await resolve(
      env({}, { SIG_PUBLISH_STATIC_TOKEN: "t", AZURE_STORAGE_KEY: "c2VjcmV0" }),
      "publish",
      r,
    );
    expect(access?.storageAccountKey).toBe("c2VjcmV0");
    expect(r.secrets).toContain("c2VjcmV0");
  });
});

describe("no credentials", () => {
  it("plan mode: undefined, the engine plans without Azure", async () => {
    const out = quiet();
    expect(await resolve(env({}), "plan", recorder())).toBeUndefined();
    expect(out.text()).toMatch(/::debug::No Azure credentials found/);
  });

  it("plan mode: a credential that fails is a warning, then undefined", async () => {
    const out = quiet();
    const r = recorder({
      createAssertionCredential: () => failing("AADSTS70021: No matching federated identity record found"),
    });
    expect(
      await resolve(env({ "client-id": CLIENT, "tenant-id": TENANT }, oidcEnv), "plan", r),
    ).toBeUndefined();
    expect(out.text()).toMatch(
      /::warning::OIDC .* failed: AADSTS70021.*federated credential.*Planning without Azure access/,
    );
  });

  it("publish mode: says what is missing (id-token: write, client, tenant)", async () => {
    quiet();
    try {
      await resolve(env({}), "publish", recorder());
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      const message = (error as InputError).message;
      expect(message).toMatch(/permissions: id-token: write/);
      expect(message).toMatch(/no client ID: set the "client-id" input or AZURE_CLIENT_ID/);
      expect(message).toMatch(/no tenant ID/);
      expect(message).toMatch(/azure\/login/);
      return;
    }
    throw new Error("expected an InputError");
  });

  it("publish mode: only the permission missing", async () => {
    quiet();
    await expect(
      resolve(env({ "client-id": CLIENT, "tenant-id": TENANT }), "publish", recorder()),
    ).rejects.toThrow(
      /needs Azure credentials and none were found: no GitHub ID token can be requested: the job needs "permissions: id-token: write" \(fork pull requests never get one\); and/,
    );
  });

  it("publish mode: a failing OIDC credential is an InputError with the hint", async () => {
    quiet();
    const r = recorder({
      createAssertionCredential: () => failing("AADSTS700213: No matching federated identity record"),
    });
    await expect(
      resolve(env({ "client-id": CLIENT, "tenant-id": TENANT }, oidcEnv), "publish", r),
    ).rejects.toThrow(/Azure sign-in: OIDC .* failed: AADSTS700213.*repo:<owner>\/<repo>:environment:<name>/);
  });
});

describe("armScope", () => {
  it("derives the scope from the endpoint", () => {
    expect(armScope(undefined)).toBe("https://management.azure.com/.default");
    expect(armScope("https://management.usgovcloudapi.net/")).toBe(
      "https://management.usgovcloudapi.net/.default",
    );
  });
});
