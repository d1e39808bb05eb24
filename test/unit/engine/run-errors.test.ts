/**
 * runEngine's own refusals: each bad input is one InputError with a code, a message that names the
 * problem, and a fix; nothing reaches Azure (the credential below would throw if it were asked).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/problems.ts";
import type { AzureAccess, EngineRequest } from "../../../src/engine/contract.ts";
import { runEngine } from "../../../src/engine/run.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const noAzure: AzureAccess = {
  credential: {
    getToken: () => {
      throw new Error("Azure must not be contacted in this test");
    },
  },
  credentialSource: "test",
  armEndpoint: "https://127.0.0.1:9",
  blobEndpoint: "http://127.0.0.1:9/{account}",
};

function workspace(manifest: string, files: Record<string, Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "sig-publish-run-"));
  dirs.push(dir);
  mkdirSync(join(dir, "images"));
  writeFileSync(join(dir, "images/i.image.yml"), manifest);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

const manifest = (extra: string, subscription = "") => `gallery:
${subscription}  resourceGroup: rg
  name: g
  location: westeurope
image:
  name: i
  publisher: P
  offer: O
  sku: S
  osType: Linux
staging:
  storageAccount: acct
${extra}`;

function request(dir: string, overrides: Partial<EngineRequest> = {}): EngineRequest {
  return {
    mode: "publish",
    manifestPath: "images/i.image.yml",
    workspace: dir,
    waitForReplication: true,
    timeoutMinutes: 1,
    uploadConcurrency: 1,
    updateManifest: false,
    context: {},
    log: { info: () => {}, warning: () => {}, debug: () => {}, group: async (_t, work) => await work() },
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  const input = error as InputError;
  expect(input.problems).toHaveLength(1);
  expect(input.problems[0]?.fix).toBeTruthy();
  return input;
}

describe("runEngine refusals", () => {
  it("no OS disk: neither disks.os nor a vhd", async () => {
    const error = await refusal(runEngine(request(workspace(manifest("")))));
    expect(error.problems[0]).toMatchObject({ code: "disks.os-missing", key: "disks.os" });
    expect(error.problems[0]?.location?.file).toBe("images/i.image.yml");
  });

  it("an image Azure cannot use, before anything in Azure is touched", async () => {
    const dir = workspace(manifest("disks:\n  os: out.vhd\n"), {
      "out.vhd": Buffer.alloc(3 * 1024 * 1024 + 512),
    });
    const error = await refusal(runEngine(request(dir, { azure: noAzure })));
    expect(error.problems[0]?.code).toMatch(/^vhd\./);
    expect(error.problems[0]?.message).toContain("out.vhd");
    expect(error.problems[0]?.location?.file).toBe("out.vhd");
  });

  it("publish without credentials", async () => {
    const dir = workspace(manifest(""), { "disk.raw": Buffer.alloc(20 * 1024 * 1024) });
    const error = await refusal(runEngine(request(dir, { vhdPath: "disk.raw" })));
    expect(error.problems[0]).toMatchObject({ code: "credentials.missing" });
    expect(error.message).toContain("id-token: write");
  });

  it("no subscription anywhere", async () => {
    const dir = workspace(manifest(""), { "disk.raw": Buffer.alloc(20 * 1024 * 1024) });
    const error = await refusal(runEngine(request(dir, { vhdPath: "disk.raw", azure: noAzure })));
    expect(error.problems[0]).toMatchObject({
      code: "credentials.subscription-missing",
      key: "gallery.subscription",
    });
  });

  it("status without credentials", async () => {
    const dir = workspace(manifest(""));
    const error = await refusal(runEngine(request(dir, { mode: "status" })));
    expect(error.problems[0]?.message).toContain("status");
  });
});
