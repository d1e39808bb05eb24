/** Fault injection and replication, observed through the real SDK. */
import type { ComputeManagementClient } from "@azure/arm-compute";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../harness/local-azure.ts";
import {
  armError,
  computeClient,
  galleryWithImage,
  POLL,
  putVhdBlob,
  sleep,
  snapshotFromNewVhd,
} from "./helpers.ts";

let local: LocalAzure;
let client: ComputeManagementClient;
let rg: string;
let snapshotId: string;

beforeAll(async () => {
  local = await startLocalAzure({ arm: { timing: { retryAfterSeconds: 0 } } });
  client = computeClient(local);
  rg = local.resourceGroup;
  await galleryWithImage(client, rg, "gal", "linux");
  snapshotId = await snapshotFromNewVhd(client, local, "base");
});
afterEach(() => {
  local.arm.faults.clear();
});
afterAll(async () => {
  await local?.stop();
});

const version = (publishingProfile: Record<string, unknown> = {}): never =>
  ({
    location: "westeurope",
    publishingProfile,
    storageProfile: { osDiskImage: { source: { id: snapshotId } } },
  }) as never;

const requestsTo = (fragment: string, method: string): { status: number; at: number; fault?: string }[] =>
  local.arm.requests.filter((r) => r.method === method && r.path.includes(fragment));

describe("request faults", () => {
  it("429 with Retry-After: the SDK waits the given time and retries", async () => {
    const fault = local.arm.faults.add({
      method: "GET",
      pathIncludes: "/galleries/gal/images/linux",
      respond: { status: 429, retryAfterSeconds: 1 },
      times: 2,
    });
    const started = Date.now();
    const image = await client.galleryImages.get(rg, "gal", "linux");
    expect(image.name).toBe("linux");
    expect(fault.hits()).toBe(2);
    const seen = requestsTo("/galleries/gal/images/linux", "GET").slice(-3);
    expect(seen.map((r) => r.status)).toEqual([429, 429, 200]);
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(local.arm.requests.at(-2)).toMatchObject({
      status: 429,
      errorCode: "TooManyRequests",
      fault: "respond",
    });
  });

  it("500 once on a PUT: the SDK retries and the operation completes", async () => {
    local.arm.faults.add({ method: "PUT", pathIncludes: "/versions/2.0.0", respond: { status: 500 } });
    const v = await client.galleryImageVersions.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "linux",
      "2.0.0",
      version(),
      POLL,
    );
    expect(v.provisioningState).toBe("Succeeded");
    expect(requestsTo("/versions/2.0.0", "PUT").map((r) => r.status)).toEqual([500, 201]);
  });

  it("500 every time: the error surfaces after the SDK's retries, nothing is created", async () => {
    local.arm.faults.add({
      method: "PUT",
      pathIncludes: "/versions/2.1.0",
      respond: { status: 503 },
      times: Infinity,
    });
    const quick = computeClient(local, { maxRetries: 1 });
    const e = await armError(() =>
      quick.galleryImageVersions.beginCreateOrUpdateAndWait(rg, "gal", "linux", "2.1.0", version(), POLL),
    );
    expect(e).toMatchObject({ status: 503, code: "ServiceUnavailable" });
    expect(local.arm.state.versions().some((v) => v.name === "2.1.0")).toBe(false);
  });

  it("a dropped connection before handling: the SDK retries the GET", async () => {
    local.arm.faults.add({ method: "GET", pathIncludes: "/disks/disk-base", dropConnection: "before" });
    const disk = await client.disks.get(rg, "disk-base");
    expect(disk.name).toBe("disk-base");
    expect(
      requestsTo("/disks/disk-base", "GET")
        .slice(-2)
        .map((r) => r.status),
    ).toEqual([0, 200]);
  });

  it("a dropped connection after handling: the client fails, but the resource exists", async () => {
    const uri = await putVhdBlob(local, "dropped.vhd");
    local.arm.faults.add({ method: "PUT", pathIncludes: "/disks/dropped", dropConnection: "after" });
    const noRetry = computeClient(local, { maxRetries: 0 });
    await expect(
      noRetry.disks.beginCreateOrUpdateAndWait(
        rg,
        "dropped",
        {
          location: "westeurope",
          creationData: { createOption: "Import", sourceUri: uri, storageAccountId: local.storageAccountId },
        } as never,
        POLL,
      ),
    ).rejects.toThrow();
    expect(local.arm.state.disks().map((d) => d.name)).toContain("dropped");
    expect(requestsTo("/disks/dropped", "PUT")).toMatchObject([{ status: 0, fault: "drop-after" }]);
  });

  it("latency: delayMs holds the answer back", async () => {
    local.arm.faults.add({ method: "GET", pathIncludes: "/galleries/gal", delayMs: 400 });
    const started = Date.now();
    await client.galleries.get(rg, "gal");
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });
});

describe("operation faults", () => {
  it("slow operations stay Creating for the extra time", async () => {
    local.arm.faults.slowOperations({ type: "snapshots", extraMs: 1500, times: 1 });
    const disk = await client.disks.get(rg, "disk-base");
    const poller = await client.snapshots.beginCreateOrUpdate(
      rg,
      "slow-snap",
      { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: disk.id } } as never,
      POLL,
    );
    await sleep(600);
    expect((await client.snapshots.get(rg, "slow-snap")).provisioningState).toBe("Creating");
    const started = Date.now();
    const done = await poller.pollUntilDone();
    expect(done.provisioningState).toBe("Succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it("failProvisioning: the operation fails with the given error and the resource reads Failed", async () => {
    local.arm.faults.failProvisioning({
      type: "versions",
      nameIncludes: "3.0.0",
      code: "InternalDiskManagementError",
      message: "disk copy failed",
    });
    await expect(
      client.galleryImageVersions.beginCreateOrUpdateAndWait(rg, "gal", "linux", "3.0.0", version(), POLL),
    ).rejects.toThrow(/InternalDiskManagementError.*disk copy failed/);
    expect((await client.galleryImageVersions.get(rg, "gal", "linux", "3.0.0")).provisioningState).toBe(
      "Failed",
    );
  });
});

describe("replication", () => {
  it("progresses per region over time and reaches Completed in every region", async () => {
    const poller = await client.galleryImageVersions.beginCreateOrUpdate(
      rg,
      "gal",
      "linux",
      "4.0.0",
      version({
        targetRegions: [
          { name: "westeurope" },
          { name: "eastus", regionalReplicaCount: 2 },
          { name: "southeastasia" },
        ],
      }),
      POLL,
    );
    const seen = new Set<string>();
    let aggregated: string | undefined;
    for (let i = 0; i < 100 && aggregated !== "Completed"; i++) {
      const v = await client.galleryImageVersions.get(rg, "gal", "linux", "4.0.0", {
        expand: "ReplicationStatus",
      });
      aggregated = v.replicationStatus?.aggregatedState;
      for (const s of v.replicationStatus?.summary ?? []) {
        seen.add(`${s.state}`);
        expect(s.progress).toBeGreaterThanOrEqual(0);
        expect(s.progress).toBeLessThanOrEqual(100);
      }
      if (aggregated !== "Completed") expect(v.provisioningState).toBe("Creating");
      await sleep(50);
    }
    expect(aggregated).toBe("Completed");
    expect(seen).toContain("Replicating");
    const final = await client.galleryImageVersions.get(rg, "gal", "linux", "4.0.0", {
      expand: "ReplicationStatus",
    });
    expect(final.provisioningState).toBe("Succeeded");
    expect(final.replicationStatus?.summary).toEqual([
      { region: "westeurope", state: "Completed", progress: 100 },
      { region: "eastus", state: "Completed", progress: 100 },
      { region: "southeastasia", state: "Completed", progress: 100 },
    ]);
    expect((await poller.pollUntilDone()).provisioningState).toBe("Succeeded");
  });

  it("a failing region reports Failed with details; the version fails; re-PUT after the fault is gone recovers", async () => {
    local.arm.faults.failReplicationIn(["eastus"]);
    const e = await armError(() =>
      client.galleryImageVersions.beginCreateOrUpdateAndWait(
        rg,
        "gal",
        "linux",
        "5.0.0",
        version({ targetRegions: [{ name: "westeurope" }, { name: "eastus" }] }),
        POLL,
      ),
    ).catch((error: unknown) => ({ status: -1, code: "", message: String(error) }));
    expect(e.message).toMatch(/eastus/);
    const v = await client.galleryImageVersions.get(rg, "gal", "linux", "5.0.0", {
      expand: "ReplicationStatus",
    });
    expect(v.provisioningState).toBe("Failed");
    expect(v.replicationStatus?.aggregatedState).toBe("Failed");
    const east = v.replicationStatus?.summary?.find((s) => s.region === "eastus");
    expect(east).toMatchObject({ state: "Failed" });
    expect(east?.details).toMatch(/eastus/);
    expect(v.replicationStatus?.summary?.find((s) => s.region === "westeurope")).toMatchObject({
      state: "Completed",
    });
    expect(local.arm.state.replication(v.id ?? "")?.find((s) => s.region === "eastus")?.state).toBe("Failed");

    local.arm.faults.clear();
    const retried = await client.galleryImageVersions.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "linux",
      "5.0.0",
      version({ targetRegions: [{ name: "westeurope" }, { name: "eastus" }] }),
      POLL,
    );
    expect(retried.provisioningState).toBe("Succeeded");
  });
});
