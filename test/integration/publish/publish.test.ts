/**
 * The whole publish, in-process through runEngine, against Azurite + the ARM Compute emulator with
 * the real @azure/arm-compute and @azure/storage-blob clients. Every exchange is recorded and, at the
 * end of the run, validated against Azure's OpenAPI specs (test/emulator/global-setup.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staticTokenCredential } from "../../../src/adapters/azure/credentials.ts";
import { InputError } from "../../../src/core/problems.ts";
import type { EngineRequest, EngineResult, Logger } from "../../../src/engine/contract.ts";
import { runEngine } from "../../../src/engine/run.ts";
import { startLocalAzure, type LocalAzure } from "../../harness/local-azure.ts";
import { MIB, patternBytes, writeFixedVhd } from "../../helpers/vhd-fixtures.ts";

interface Workspace {
  readonly dir: string;
  readonly manifest: string;
}

function manifestYaml(local: LocalAzure, gallery: string, image: string, extra: string): string {
  return `gallery:
  subscription: ${local.subscriptionId}
  resourceGroup: rg-images
  name: ${gallery}
  location: westeurope
  create: true
image:
  name: ${image}
  publisher: Contoso
  offer: WebServer
  sku: ${image}-sku
  osType: Linux
  osState: Generalized
  hyperVGeneration: V2
${extra.includes("securityType") ? extra.split("\n---\n")[0] : ""}
version:
  number: 1.0.0
  promote: afterReplication
  targetRegions:
    - westeurope
    - eastus=2=Standard_ZRS
    - southeastasia
disks:
  os: out/os.vhd
  data: [{ lun: 0, path: out/data0.vhd }]
staging:
  storageAccount: devstoreaccount1
  via: ${extra.includes("via: blob") ? "blob" : "snapshot"}
retention:
  keep: 2
`;
}

function makeWorkspace(local: LocalAzure, gallery: string, image: string, extra = "", seed = 1): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "sig-publish-it-"));
  mkdirSync(join(dir, "images"));
  mkdirSync(join(dir, "out"));
  const manifest = "images/test.image.yml";
  writeFileSync(join(dir, manifest), manifestYaml(local, gallery, image, extra));
  writeOsDisk(dir, seed);
  writeFixedVhd(join(dir, "out/data0.vhd"), {
    virtualSize: 20 * MIB,
    dataAt: [{ offset: 5 * MIB, bytes: patternBytes(MIB, 99) }],
  });
  return { dir, manifest };
}

function writeOsDisk(dir: string, seed: number): void {
  writeFixedVhd(join(dir, "out/os.vhd"), {
    virtualSize: 64 * MIB,
    dataAt: [
      { offset: 0, bytes: patternBytes(MIB, seed) },
      { offset: 40 * MIB + 512, bytes: patternBytes(3 * MIB, seed + 1) },
    ],
  });
}

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
    group: async (_title, work) => await work(),
  };
}

describe("publish against local Azure", () => {
  let local: LocalAzure;
  const workspaces: string[] = [];

  beforeAll(async () => {
    process.env["SIG_PUBLISH_POLL_INTERVAL_MS"] = "100";
    process.env["SIG_PUBLISH_LOCK_WAIT_SECONDS"] = "60";
    local = await startLocalAzure({ arm: { timing: { retryAfterSeconds: 0 } } });
  });
  afterAll(async () => {
    await local?.stop();
    for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
  });

  function request(
    ws: Workspace,
    overrides: Partial<EngineRequest> = {},
  ): EngineRequest & { log: Logger & { lines: string[] } } {
    workspaces.push(ws.dir);
    return {
      mode: "publish",
      manifestPath: ws.manifest,
      workspace: ws.dir,
      waitForReplication: true,
      timeoutMinutes: 2,
      uploadConcurrency: 4,
      updateManifest: false,
      azure: {
        credential: staticTokenCredential("test"),
        credentialSource: "static token",
        armEndpoint: local.arm.endpoint,
        blobEndpoint: local.azurite.blobEndpoint,
        storageAccountKey: local.azurite.accountKey,
      },
      context: { commitSha: "0123abc", runUrl: "https://github.com/o/r/actions/runs/1", repository: "o/r" },
      log: collectingLogger(),
      ...overrides,
    } as EngineRequest & { log: Logger & { lines: string[] } };
  }

  async function listBlobs(): Promise<string[]> {
    const { BlobServiceClient } = await import("@azure/storage-blob");
    const container = BlobServiceClient.fromConnectionString(
      local.azurite.connectionString,
    ).getContainerClient("vhds");
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
      names.push(`${blob.name} ${JSON.stringify(blob.metadata)} ${blob.properties.etag}`);
    }
    return names.sort();
  }

  async function versionOf(gallery: string, image: string, version: string) {
    const { ArmComputeGateway } = await import("../../../src/adapters/azure/compute.ts");
    const compute = new ArmComputeGateway({
      credential: staticTokenCredential("test"),
      subscriptionId: local.subscriptionId,
      armEndpoint: local.arm.endpoint,
    });
    return { compute, version: await compute.getImageVersion("rg-images", gallery, image, version, true) };
  }

  it("publishes via snapshot with a data disk, cleans up, and a re-run is a no-op", async () => {
    const ws = makeWorkspace(local, "galleryA", "web");
    const first = await runEngine(request(ws));
    expect(first.ok).toBe(true);
    expect(first.version).toBe("1.0.0");
    expect(first.replicationState).toBe("Completed");
    expect(first.imageVersionId).toMatch(/galleries\/galleryA\/images\/web\/versions\/1\.0\.0$/);
    expect(first.vhdDigest).toMatch(/^sha256-p4m:[0-9a-f]{64}$/);
    expect(first.summaryMarkdown).toContain("Published web 1.0.0");
    expect(first.summaryMarkdown).toMatch(/\| eastus \| 2 \| Standard_ZRS \| ✅ Completed/);

    const { compute, version } = await versionOf("galleryA", "web", "1.0.0");
    expect(version?.sources["os"]).toMatch(/snapshots\/web-1\.0\.0-os-snapshot$/);
    expect(version?.sources["lun-0"]).toMatch(/snapshots\/web-1\.0\.0-lun-0-snapshot$/);
    expect(version?.tags["sig-publish.digest"]).toBe(first.vhdDigest);
    expect(version?.tags["sig-publish.commit"]).toBe("0123abc");
    expect(version?.excludeFromLatest).toBe(false); // promoted after replication
    // cleanup: no disk, snapshot or blob left behind
    expect(await compute.getDisk("rg-images", "web-1.0.0-os")).toBeUndefined();
    expect(await compute.getSnapshot("rg-images", "web-1.0.0-os-snapshot")).toBeUndefined();

    const putsBefore = local.arm.requests.filter((r) => r.method === "PUT").length;
    const again = request(ws);
    const second = await runEngine(again);
    expect(second.ok).toBe(true);
    expect(second.version).toBe("1.0.0"); // resumed, not bumped to 1.0.1
    expect(second.vhdDigest).toBe(first.vhdDigest);
    expect(local.arm.requests.filter((r) => r.method === "PUT").length).toBe(putsBefore);
    expect(again.log.lines.some((l) => l.startsWith("upload"))).toBe(false);
  });

  it("publishes a TrustedLaunch image straight from the blobs, whatever via says", async () => {
    const ws = makeWorkspace(local, "galleryB", "tl", "  securityType: TrustedLaunch");
    const result = await runEngine(request(ws));
    expect(result.ok).toBe(true);
    const { version } = await versionOf("galleryB", "tl", "1.0.0");
    expect(version?.sources["os"]).toMatch(/\/vhds\/tl\/1\.0\.0\/os\.vhd$/);
    expect((result.plan as { via: { value: string } }).via.value).toBe("blob");
  });

  it("bumps from the gallery's highest version for a new VHD, and refuses an explicit version from another VHD", async () => {
    const ws = makeWorkspace(local, "galleryC", "bump");
    expect((await runEngine(request(ws))).version).toBe("1.0.0");
    writeOsDisk(ws.dir, 7); // a new build of the image
    const bumped = await runEngine(request(ws));
    expect(bumped.version).toBe("1.0.1");
    writeOsDisk(ws.dir, 8);
    const conflict = await runEngine(request(ws, { version: "1.0.1" })).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(InputError);
    expect((conflict as InputError).problems[0]?.code).toBe("version.conflict");
    const { version } = await versionOf("galleryC", "bump", "1.0.1");
    expect(version?.tags["sig-publish.digest"]).toBe(bumped.vhdDigest); // untouched

    // a third build: 1.0.2, written back into the manifest; retention.keep: 2 removes 1.0.0
    const third = await runEngine(request(ws, { updateManifest: true }));
    expect(third.version).toBe("1.0.2");
    const manifestText = readFileSync(join(ws.dir, ws.manifest), "utf8");
    expect(manifestText).toContain("  number: 1.0.2\n");
    expect(manifestText).toContain("  promote: afterReplication\n"); // the rest kept as written
    expect((await versionOf("galleryC", "bump", "1.0.0")).version).toBeUndefined();
    expect((await versionOf("galleryC", "bump", "1.0.1")).version).toBeDefined();
    expect(third.summaryMarkdown).toContain("Retention deleted versions: 1.0.0");
  });

  it("plan mode reads Azure with credentials and writes nothing", async () => {
    const ws = makeWorkspace(local, "galleryJ", "planned");
    await runEngine(request(ws)); // 1.0.0 exists
    writeOsDisk(ws.dir, 5);
    const before = local.arm.requests.length;
    const containerBefore = await listBlobs();
    const plan = await runEngine(request(ws, { mode: "plan" }));
    const during = local.arm.requests.slice(before);
    expect(during.length).toBeGreaterThan(0); // it did read
    expect(during.filter((r) => r.method !== "GET")).toEqual([]);
    expect(await listBlobs()).toEqual(containerBefore);
    expect(plan.version).toBe("1.0.1");
    expect(plan.versionIsLowerBound).toBe(false);
    expect(plan.summaryMarkdown).toContain("1.0.1");
  });

  it("reports a region whose replication fails, with an actionable message", async () => {
    const ws = makeWorkspace(local, "galleryD", "failing");
    local.arm.faults.failReplicationIn(["southeastasia"]);
    let result: EngineResult;
    try {
      result = await runEngine(request(ws));
    } finally {
      local.arm.faults.clear();
    }
    expect(result.ok).toBe(false);
    expect(result.replicationState).toBe("Failed");
    expect(result.summaryMarkdown).toContain("southeastasia");
    expect(result.summaryMarkdown).toContain("re-run");
    const { version } = await versionOf("galleryD", "failing", "1.0.0");
    expect(version?.excludeFromLatest).toBe(true); // never promoted
  });

  it("rides out throttling (429 with Retry-After) and a 500 on the version PUT", async () => {
    const ws = makeWorkspace(local, "galleryE", "throttled");
    local.arm.faults.add({
      method: "PUT",
      pathIncludes: "/versions/1.0.0",
      respond: { status: 429, retryAfterSeconds: 1 },
    });
    local.arm.faults.add({ method: "PUT", pathIncludes: "/snapshots/", respond: { status: 500 } });
    const result = await runEngine(request(ws));
    expect(result.ok, result.summaryMarkdown).toBe(true);
    expect(result.replicationState).toBe("Completed");
  });

  it("resumes after a failed snapshot step, reusing the disk it had imported", async () => {
    const ws = makeWorkspace(local, "galleryF", "resume");
    local.arm.faults.add({
      method: "PUT",
      pathIncludes: "/snapshots/resume-1.0.0-os-snapshot",
      times: Infinity,
      respond: { status: 409, code: "OperationNotAllowed", message: "injected" },
    });
    const failed = await runEngine(request(ws)).catch((e: unknown) => e);
    local.arm.faults.clear();
    expect(String(failed)).toContain("resume-1.0.0-os-snapshot");
    const diskPuts = () =>
      local.arm.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/disks/resume-1.0.0-os"))
        .length;
    expect(diskPuts()).toBe(1);
    const resumed = await runEngine(request(ws));
    expect(resumed.ok).toBe(true);
    expect(resumed.version).toBe("1.0.0");
    expect(diskPuts()).toBe(1); // the disk was reused, not imported again
  });

  it("resumes when the connection dropped right after Azure accepted the version", async () => {
    const ws = makeWorkspace(local, "galleryH", "dropped");
    local.arm.faults.add({
      method: "PUT",
      pathIncludes: "/images/dropped/versions/1.0.0",
      dropConnection: "after",
      times: 6,
    });
    const failed = await runEngine(request(ws)).catch((e: unknown) => e);
    local.arm.faults.clear();
    expect(failed).toBeInstanceOf(Error);
    const again = request(ws);
    const resumed = await runEngine(again);
    expect(resumed.ok, resumed.summaryMarkdown).toBe(true);
    expect(resumed.version).toBe("1.0.0");
    expect(again.log.lines.some((l) => l.startsWith("upload"))).toBe(false); // nothing sent again
    expect(resumed.summaryMarkdown).toContain("resumed");
  });

  it("a run that does not wait leaves the version InProgress; the next run promotes and cleans up", async () => {
    const ws = makeWorkspace(local, "galleryI", "later");
    const first = await runEngine(request(ws, { waitForReplication: false }));
    expect(first.replicationState).toBe("InProgress");
    expect(first.ok).toBe(true); // not waiting was asked for
    const { compute, version } = await versionOf("galleryI", "later", "1.0.0");
    expect(version?.excludeFromLatest).toBe(true);
    expect(await compute.getSnapshot("rg-images", "later-1.0.0-os-snapshot")).toBeDefined(); // kept for now

    const second = await runEngine(request(ws));
    expect(second.replicationState).toBe("Completed");
    const after = await versionOf("galleryI", "later", "1.0.0");
    expect(after.version?.excludeFromLatest).toBe(false);
    expect(await compute.getSnapshot("rg-images", "later-1.0.0-os-snapshot")).toBeUndefined();
  });

  it("serialises two concurrent publishes of one image through the lock", async () => {
    const ws = makeWorkspace(local, "galleryG", "locked");
    const [a, b] = await Promise.all([runEngine(request(ws)), runEngine(request(ws))]);
    expect(a.ok && b.ok).toBe(true);
    // one created 1.0.0; the other waited for the lock and found it made from the same VHD
    expect([a.version, b.version]).toEqual(["1.0.0", "1.0.0"]);
    const versionPuts = local.arm.requests.filter(
      (r) => r.method === "PUT" && r.path.includes("/galleries/galleryG/images/locked/versions/"),
    );
    expect(versionPuts).toHaveLength(1);
  });
});
