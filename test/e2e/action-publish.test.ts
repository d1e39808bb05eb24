/**
 * End to end on dist/, publish mode, against local Azure (Azurite + the ARM Compute emulator):
 * a release tag publishes the tag's version, a later push publishes the next patch. The action
 * reaches the emulator with the test-only static token and Azurite with its shared key, exactly as
 * a runner would pass them in the environment.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { startLocalAzure, type LocalAzure } from "../harness/local-azure.ts";
import { MIB, patternBytes, writeFixedVhd } from "../helpers/vhd-fixtures.ts";
import { annotations, distState, EVENTS, makeWorkspace, runAction } from "./run-action.ts";

const MANIFEST = "images/ubuntu-web.image.yml";
const STATIC_TOKEN = "local-emulator-token-e2e";

let local: LocalAzure;
let workspace: string;
let env: Record<string, string>;

function manifest(subscription: string, account: string): string {
  return [
    "gallery:",
    `  subscription: ${subscription}`,
    "  resourceGroup: rg-images",
    "  name: e2eGallery",
    "  location: westeurope",
    "  create: true",
    "image:",
    "  name: ubuntu-web",
    "  publisher: Contoso",
    "  offer: WebServer",
    "  sku: ubuntu-24-gen2",
    "  osType: Linux",
    "  hyperVGeneration: V2",
    "version:",
    "  number: 1.0.0",
    "  targetRegions: [westeurope, northeurope]",
    "disks:",
    "  os: out/ubuntu-web.vhd",
    "staging:",
    `  storageAccount: ${account}`,
    "  container: vhds",
    "",
  ].join("\n");
}

beforeAll(async () => {
  if (distState() === "missing") throw new Error("dist/index.js is missing: run `npm run bundle` first.");
  local = await startLocalAzure();
  workspace = makeWorkspace({ [MANIFEST]: manifest(local.subscriptionId, local.storageAccountName) });
  mkdirSync(path.join(workspace, "out"));
  writeFixedVhd(path.join(workspace, "out/ubuntu-web.vhd"), {
    virtualSize: 32 * MIB,
    dataAt: [
      { offset: 0, bytes: patternBytes(64 * 1024, 3) },
      { offset: 20 * MIB, bytes: patternBytes(4 * MIB, 4) },
    ],
  });
  env = {
    ...local.env,
    SIG_PUBLISH_STATIC_TOKEN: STATIC_TOKEN,
    AZURE_STORAGE_KEY: local.azurite.accountKey,
    SIG_PUBLISH_POLL_INTERVAL_MS: "200",
  };
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

function release(tag: string): Record<string, unknown> {
  const payload = JSON.parse(readFileSync(path.join(EVENTS, "release_published.json"), "utf8")) as {
    release: Record<string, unknown>;
  };
  payload.release["tag_name"] = tag;
  return payload;
}

describe("publish on local Azure", () => {
  it("release ubuntu-web/v1.2.3 publishes 1.2.3; a push of a rebuilt VHD publishes 1.2.4", async () => {
    const first = await runAction({
      workspace,
      eventName: "release",
      event: release("ubuntu-web/v1.2.3"),
      inputs: { manifest: MANIFEST },
      env,
      timeoutMs: 120_000,
    });
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(annotations(first.stdout)).toEqual([]);
    expect(first.stdout).toMatch(
      /sig-publish: publish images\/ubuntu-web\.image\.yml \(mode "auto" on a release event\)/,
    );
    expect(first.stdout).toMatch(/Azure credentials: static token/);
    // Secrets are registered for masking.
    expect(first.stdout).toContain(`::add-mask::${STATIC_TOKEN}`);
    expect(first.stdout).toContain(`::add-mask::${local.azurite.accountKey}`);
    expect(first.outputs["version"]).toBe("1.2.3");
    expect(first.outputs["image-version-id"]).toMatch(
      /\/resourceGroups\/rg-images\/providers\/Microsoft\.Compute\/galleries\/e2eGallery\/images\/ubuntu-web\/versions\/1\.2\.3$/i,
    );
    expect(first.outputs["image-definition-id"]).toMatch(/\/images\/ubuntu-web$/i);
    expect(first.outputs["replication-state"]).toBe("Completed");
    expect(first.outputs["vhd-digest"]).toMatch(/\S{16,}/);
    expect(first.summary).toMatch(/1\.2\.3/);
    expect(first.summary).toMatch(/northeurope/);

    // The same VHD again: that version already exists from this digest, so nothing new is made.
    const again = await runAction({
      workspace,
      eventName: "push",
      event: "push.json",
      inputs: { manifest: MANIFEST },
      env,
      timeoutMs: 120_000,
    });
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.outputs["version"]).toBe("1.2.3");

    // A rebuilt VHD: the push publishes the next patch.
    writeFixedVhd(path.join(workspace, "out/ubuntu-web.vhd"), {
      virtualSize: 32 * MIB,
      dataAt: [{ offset: 0, bytes: patternBytes(64 * 1024, 5) }],
    });
    const second = await runAction({
      workspace,
      eventName: "push",
      event: "push.json",
      inputs: { manifest: MANIFEST },
      env,
      timeoutMs: 120_000,
    });
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    expect(second.outputs["version"]).toBe("1.2.4");
    expect(second.outputs["replication-state"]).toBe("Completed");
  });
});

describe("cancellation", () => {
  let slow: LocalAzure;
  beforeAll(async () => {
    slow = await startLocalAzure({ arm: { timing: { replicationMs: 120_000 } } });
  }, 120_000);
  afterAll(async () => {
    await slow?.stop();
  });

  it("SIGINT while waiting for replication: exit 1, cancelled, the image lock released", async () => {
    const ws = makeWorkspace({ [MANIFEST]: manifest(slow.subscriptionId, slow.storageAccountName) });
    mkdirSync(path.join(ws, "out"));
    writeFixedVhd(path.join(ws, "out/ubuntu-web.vhd"), {
      virtualSize: 32 * MIB,
      dataAt: [{ offset: 0, bytes: patternBytes(64 * 1024, 7) }],
    });
    const run = await runAction({
      workspace: ws,
      eventName: "workflow_dispatch",
      event: {},
      inputs: { manifest: MANIFEST },
      env: {
        ...slow.env,
        SIG_PUBLISH_STATIC_TOKEN: STATIC_TOKEN,
        AZURE_STORAGE_KEY: slow.azurite.accountKey,
        SIG_PUBLISH_POLL_INTERVAL_MS: "200",
      },
      interrupt: { when: /replication (west|north)europe: /, signal: "SIGINT" },
      timeoutMs: 60_000,
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(/::warning::Received SIGINT: cancelling/);
    expect(run.stdout).toMatch(/^::error::sig-publish was cancelled/m);
    expect(run.stdout).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    const container = new ContainerClient(
      `${slow.azurite.blobEndpoint}/vhds`,
      new StorageSharedKeyCredential(slow.storageAccountName, slow.azurite.accountKey),
    );
    const lock = await container.getBlobClient("locks/e2eGallery/ubuntu-web.lock").getProperties();
    expect(lock.leaseState).not.toBe("leased");
  });
});
