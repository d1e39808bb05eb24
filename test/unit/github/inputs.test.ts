import { describe, expect, it } from "vitest";
import { inputEnvName, readInputs, type Env } from "../../../src/adapters/github/inputs.ts";
import { InputError } from "../../../src/core/problems.ts";

const GUID = "11111111-2222-3333-4444-555555555555";

function env(inputs: Record<string, string>, extra: Record<string, string> = {}): Env {
  const result: Record<string, string> = { ...extra };
  for (const [name, value] of Object.entries(inputs)) result[inputEnvName(name)] = value;
  return result;
}

function problemsOf(e: Env): string[] {
  try {
    readInputs(e);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems.map((p) => p.message);
  }
  throw new Error("expected an InputError");
}

describe("inputEnvName", () => {
  it("follows the runner: INPUT_ + upper case, spaces to _, dashes kept", () => {
    expect(inputEnvName("upload-concurrency")).toBe("INPUT_UPLOAD-CONCURRENCY");
    expect(inputEnvName("my input")).toBe("INPUT_MY_INPUT");
  });
});

describe("readInputs", () => {
  it("applies action.yml defaults", () => {
    const inputs = readInputs(env({ manifest: "images/web.image.yml" }));
    expect(inputs).toEqual({
      manifest: "images/web.image.yml",
      mode: "auto",
      waitForReplication: true,
      timeoutMinutes: 240,
      uploadConcurrency: 8,
      updateManifest: false,
      comment: true,
    });
  });

  it("reads every input, trimming whitespace", () => {
    const inputs = readInputs(
      env({
        manifest: " images/web.image.yml ",
        vhd: "out/web.vhd",
        mode: "publish",
        version: "1.4.0",
        bump: "minor",
        "wait-for-replication": "false",
        "timeout-minutes": "30",
        "subscription-id": GUID,
        "tenant-id": "contoso.onmicrosoft.com",
        "client-id": GUID,
        "upload-concurrency": "16",
        "update-manifest": "TRUE",
        comment: "False",
        "github-token": "ghs_x",
        "arm-endpoint": "https://management.usgovcloudapi.net/",
        "blob-endpoint": "http://127.0.0.1:10000/devstoreaccount1",
      }),
    );
    expect(inputs).toMatchObject({
      manifest: "images/web.image.yml",
      vhd: "out/web.vhd",
      mode: "publish",
      version: "1.4.0",
      bump: "minor",
      waitForReplication: false,
      timeoutMinutes: 30,
      subscriptionId: { value: GUID, from: 'input "subscription-id"' },
      tenantId: { value: "contoso.onmicrosoft.com" },
      clientId: { value: GUID },
      uploadConcurrency: 16,
      updateManifest: true,
      comment: false,
      githubToken: "ghs_x",
      armEndpoint: "https://management.usgovcloudapi.net",
      blobEndpoint: "http://127.0.0.1:10000/devstoreaccount1",
    });
  });

  it("falls back to AZURE_* and SIG_PUBLISH_* environment variables", () => {
    const inputs = readInputs(
      env(
        { manifest: "m.yml" },
        {
          AZURE_CLIENT_ID: GUID,
          AZURE_TENANT_ID: GUID,
          AZURE_SUBSCRIPTION_ID: GUID,
          SIG_PUBLISH_ARM_ENDPOINT: "http://localhost:8443",
          SIG_PUBLISH_BLOB_ENDPOINT: "http://127.0.0.1:10000/devstoreaccount1",
        },
      ),
    );
    expect(inputs.clientId).toEqual({ value: GUID, from: "AZURE_CLIENT_ID" });
    expect(inputs.subscriptionId?.from).toBe("AZURE_SUBSCRIPTION_ID");
    expect(inputs.armEndpoint).toBe("http://localhost:8443");
  });

  it("input wins over the environment", () => {
    const other = "99999999-2222-3333-4444-555555555555";
    const inputs = readInputs(env({ manifest: "m.yml", "client-id": other }, { AZURE_CLIENT_ID: GUID }));
    expect(inputs.clientId?.value).toBe(other);
  });

  it.each([
    ["mode", "deploy", /Input "mode" is "deploy": accepted values are auto, plan, publish/],
    ["mode", "Plan", /accepted values are auto, plan, publish/],
    ["bump", "build", /Input "bump" is "build": accepted values are patch, minor, major/],
    [
      "wait-for-replication",
      "yes",
      /Input "wait-for-replication" is "yes": accepted values are true and false/,
    ],
    ["update-manifest", "1", /Input "update-manifest" is "1": accepted values are true and false/],
    ["comment", "on", /Input "comment" is "on"/],
    [
      "timeout-minutes",
      "ten",
      /Input "timeout-minutes" is "ten": accepted values are whole numbers from 1 to 7200/,
    ],
    [
      "timeout-minutes",
      "0",
      /Input "timeout-minutes" is 0, out of range: accepted values are whole numbers from 1 to 7200/,
    ],
    ["timeout-minutes", "1.5", /whole numbers/],
    [
      "upload-concurrency",
      "65",
      /Input "upload-concurrency" is 65, out of range: accepted values are whole numbers from 1 to 64/,
    ],
    ["upload-concurrency", "-1", /Input "upload-concurrency" is "-1"/],
    ["version", "v1.2.3", /Input "version" is "v1.2.3", which starts with "v"/],
    ["version", "1.2", /Input "version" is "1.2", which has 2 parts/],
    ["version", "1.02.3", /Input "version" is "1.02.3"/],
    ["version", "1.2.3-rc1", /pre-release suffix/],
    ["version", "1.2.2147483648", /Input "version" is "1.2.2147483648"/],
    [
      "subscription-id",
      "my-sub",
      /Input "subscription-id" is "my-sub": accepted values are subscription GUIDs/,
    ],
    ["client-id", "app", /Input "client-id" is "app": accepted values are application \(client\) ID GUIDs/],
    ["tenant-id", "not a tenant", /Input "tenant-id" is "not a tenant"/],
    [
      "arm-endpoint",
      "management.azure.com",
      /Input "arm-endpoint" is "management.azure.com": accepted values are absolute https:\/\/ URLs/,
    ],
    ["arm-endpoint", "http://arm.example.com", /http:\/\/ is accepted only on loopback/],
    ["blob-endpoint", "ftp://x", /Input "blob-endpoint"/],
  ])("rejects %s=%j with one clear message", (name, value, expected) => {
    const messages = problemsOf(env({ manifest: "m.yml", [name]: value }));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(expected);
  });

  it("requires the manifest", () => {
    expect(problemsOf(env({}))).toEqual([expect.stringMatching(/Input "manifest" is required/)]);
  });

  it("reports every bad input at once", () => {
    const messages = problemsOf(env({ mode: "x", bump: "y", comment: "z", "timeout-minutes": "-" }));
    expect(messages).toHaveLength(5);
  });

  it("names the environment variable when the bad value came from it", () => {
    const messages = problemsOf(env({ manifest: "m.yml" }, { AZURE_CLIENT_ID: "nope" }));
    expect(messages[0]).toMatch(
      /Environment variable AZURE_CLIENT_ID \(the default of input "client-id"\) is "nope"/,
    );
  });

  it("normalises an explicit version", () => {
    expect(readInputs(env({ manifest: "m.yml", version: " 2.0.1 " })).version).toBe("2.0.1");
  });

  it("problems carry the input as key and a stable code", () => {
    try {
      readInputs(env({ manifest: "m.yml", bump: "huge" }));
    } catch (error) {
      expect((error as InputError).problems[0]).toMatchObject({ code: "input.invalid", key: "bump" });
      return;
    }
    throw new Error("expected an InputError");
  });
});
