/** The emulator's service rules, each checked with the real SDK: expected status + ARM code. */
import type { ComputeManagementClient } from "@azure/arm-compute";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../harness/local-azure.ts";
import {
  armError,
  computeClient,
  galleryWithImage,
  LINUX_IMAGE,
  MIB,
  POLL,
  putBlockBlob,
  putVhdBlob,
  snapshotFromNewVhd,
} from "./helpers.ts";

let local: LocalAzure;
let client: ComputeManagementClient;
let rg: string;
let snapshotId: string;

function rawRequest(
  method: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: text === "" ? undefined : JSON.parse(text) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  local = await startLocalAzure({ arm: { timing: { retryAfterSeconds: 0 } } });
  client = computeClient(local);
  rg = local.resourceGroup;
  await galleryWithImage(client, rg, "gal", "linux");
  snapshotId = await snapshotFromNewVhd(client, local, "base");
});
afterAll(async () => {
  await local?.stop();
});

const version = (source: Record<string, unknown>, publishingProfile: Record<string, unknown> = {}): never =>
  ({ location: "westeurope", publishingProfile, storageProfile: { osDiskImage: { source } } }) as never;

describe("ARM front door", () => {
  it("401 AuthenticationFailed without an Authorization header", async () => {
    const r = await rawRequest(
      "GET",
      `${local.arm.endpoint}/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g?api-version=2025-12-03`,
    );
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: { code: "AuthenticationFailed" } });
  });

  it("400 NoRegisteredProviderFound for another api-version, MissingApiVersionParameter without one", async () => {
    const auth = { authorization: "Bearer anything" };
    const base = `${local.arm.endpoint}/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d`;
    const other = await rawRequest("GET", `${base}?api-version=2024-03-02`, auth);
    expect([other.status, (other.body as { error: { code: string } }).error.code]).toEqual([
      400,
      "NoRegisteredProviderFound",
    ]);
    const none = await rawRequest("GET", base, auth);
    expect([none.status, (none.body as { error: { code: string } }).error.code]).toEqual([
      400,
      "MissingApiVersionParameter",
    ]);
  });

  it("404 ResourceNotFound for a missing resource", async () => {
    expect(await armError(() => client.galleries.get(rg, "nothere"))).toMatchObject({
      status: 404,
      code: "ResourceNotFound",
    });
    expect(await armError(() => client.disks.get(rg, "nothere"))).toMatchObject({
      status: 404,
      code: "ResourceNotFound",
    });
  });
});

describe("names and parents", () => {
  it.each(["my-gallery", "_g", "g.", "a".repeat(81)])(
    "gallery name %s → 400 InvalidParameter",
    async (name) => {
      expect(
        await armError(() =>
          client.galleries.beginCreateOrUpdateAndWait(rg, name, { location: "westeurope" }, POLL),
        ),
      ).toMatchObject({ status: 400, code: "InvalidParameter" });
    },
  );

  it.each(["1.0", "1.0.0.0", "v1.0.0", "1.0.0-rc1", "2147483648.0.0", "1..0"])(
    "version name %s → 400 InvalidParameter",
    async (name) => {
      expect(
        await armError(() =>
          client.galleryImageVersions.beginCreateOrUpdateAndWait(
            rg,
            "gal",
            "linux",
            name,
            version({ id: snapshotId }),
            POLL,
          ),
        ),
      ).toMatchObject({ status: 400, code: "InvalidParameter" });
    },
  );

  it("disk name with a trailing dash → 400 InvalidParameter", async () => {
    const e = await armError(() =>
      client.disks.beginCreateOrUpdateAndWait(
        rg,
        "disk-",
        { location: "westeurope", creationData: { createOption: "Empty" }, diskSizeGB: 1 } as never,
        POLL,
      ),
    );
    expect(e).toMatchObject({ status: 400, code: "InvalidParameter" });
  });

  it("image under a missing gallery and version under a missing definition → 404 ParentResourceNotFound", async () => {
    expect(
      await armError(() =>
        client.galleryImages.beginCreateOrUpdateAndWait(rg, "nogallery", "img", LINUX_IMAGE as never, POLL),
      ),
    ).toMatchObject({ status: 404, code: "ParentResourceNotFound" });
    expect(
      await armError(() =>
        client.galleryImageVersions.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "nodefinition",
          "1.0.0",
          version({ id: snapshotId }),
          POLL,
        ),
      ),
    ).toMatchObject({ status: 404, code: "ParentResourceNotFound" });
  });

  it("definition in another region than its gallery → 400 InvalidParameter; gallery moved → 409 InvalidResourceLocation", async () => {
    expect(
      await armError(() =>
        client.galleryImages.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "elsewhere",
          { ...LINUX_IMAGE, location: "eastus" } as never,
          POLL,
        ),
      ),
    ).toMatchObject({ status: 400, code: "InvalidParameter" });
    expect(
      await armError(() =>
        client.galleries.beginCreateOrUpdateAndWait(rg, "gal", { location: "eastus" }, POLL),
      ),
    ).toMatchObject({ status: 409, code: "InvalidResourceLocation" });
  });
});

describe("image definition", () => {
  it.each([
    ["osType", { osType: "Windows" }, "properties.osType"],
    ["osState", { osState: "Specialized" }, "properties.osState"],
    ["hyperVGeneration", { hyperVGeneration: "V1" }, "properties.hyperVGeneration"],
    ["architecture", { architecture: "Arm64" }, "properties.architecture"],
    [
      "publisher",
      { identifier: { ...LINUX_IMAGE.identifier, publisher: "Other", sku: "linux-sku" } },
      "properties.identifier.publisher",
    ],
    [
      "offer",
      { identifier: { ...LINUX_IMAGE.identifier, offer: "Other", sku: "linux-sku" } },
      "properties.identifier.offer",
    ],
    ["sku", { identifier: { ...LINUX_IMAGE.identifier, sku: "other" } }, "properties.identifier.sku"],
  ])("changing %s → 409 PropertyChangeNotAllowed", async (_name, change, target) => {
    const e = await armError(() =>
      client.galleryImages.beginCreateOrUpdateAndWait(
        rg,
        "gal",
        "linux",
        { ...LINUX_IMAGE, identifier: { ...LINUX_IMAGE.identifier, sku: "linux-sku" }, ...change } as never,
        POLL,
      ),
    );
    expect(e).toMatchObject({ status: 409, code: "PropertyChangeNotAllowed" });
    expect(e.message).toContain(target);
  });

  it("mutable properties update (PUT and PATCH); features need allowUpdateImage; SecurityType never changes", async () => {
    const base = { ...LINUX_IMAGE, identifier: { ...LINUX_IMAGE.identifier, sku: "sec-sku" } };
    await client.galleryImages.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "sec",
      { ...base, features: [{ name: "SecurityType", value: "TrustedLaunchSupported" }] } as never,
      POLL,
    );
    const updated = await client.galleryImages.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "sec",
      {
        ...base,
        description: "new",
        features: [{ name: "SecurityType", value: "TrustedLaunchSupported" }],
      } as never,
      POLL,
    );
    expect([updated.description, updated.provisioningState]).toEqual(["new", "Succeeded"]);
    const patched = await client.galleryImages.beginUpdateAndWait(
      rg,
      "gal",
      "sec",
      { osType: "Linux", osState: "Generalized", identifier: base.identifier, eula: "eula" } as never,
      POLL,
    );
    expect([patched.description, patched.eula]).toEqual(["new", "eula"]);
    const withFeature = [
      { name: "SecurityType", value: "TrustedLaunchSupported" },
      { name: "IsAcceleratedNetworkSupported", value: "true" },
    ];
    expect(
      await armError(() =>
        client.galleryImages.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "sec",
          { ...base, features: withFeature } as never,
          POLL,
        ),
      ),
    ).toMatchObject({ status: 409, code: "PropertyChangeNotAllowed" });
    const allowed = await client.galleryImages.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "sec",
      { ...base, features: withFeature, allowUpdateImage: true } as never,
      POLL,
    );
    expect(allowed.features).toHaveLength(2);
    const e = await armError(() =>
      client.galleryImages.beginCreateOrUpdateAndWait(
        rg,
        "gal",
        "sec",
        {
          ...base,
          features: [{ name: "SecurityType", value: "TrustedLaunch" }],
          allowUpdateImage: true,
        } as never,
        POLL,
      ),
    );
    expect(e).toMatchObject({ status: 409, code: "PropertyChangeNotAllowed" });
    expect(e.message).toContain("SecurityType");
  });

  it.each(["ConfidentialVM", "TrustedLaunch"])(
    "%s with hyperVGeneration V1 → 400 InvalidParameter",
    async (security) => {
      const e = await armError(() =>
        client.galleryImages.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          `v1-${security}`,
          {
            ...LINUX_IMAGE,
            hyperVGeneration: "V1",
            identifier: { ...LINUX_IMAGE.identifier, sku: `v1-${security}` },
            features: [{ name: "SecurityType", value: security }],
          } as never,
          POLL,
        ),
      );
      expect(e).toMatchObject({ status: 400, code: "InvalidParameter" });
    },
  );

  it("a second definition with the same publisher/offer/sku → 409 Conflict", async () => {
    expect(
      await armError(() =>
        client.galleryImages.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "twin",
          { ...LINUX_IMAGE, identifier: { ...LINUX_IMAGE.identifier, sku: "linux-sku" } } as never,
          POLL,
        ),
      ),
    ).toMatchObject({ status: 409, code: "Conflict" });
  });
});

describe("image version", () => {
  it.each([
    ["source region missing from targetRegions", { targetRegions: [{ name: "eastus" }] }],
    ["0 replicas", { replicaCount: 0 }],
    ["101 replicas in a region", { targetRegions: [{ name: "westeurope", regionalReplicaCount: 101 }] }],
    [
      "Shallow with 2 replicas",
      { replicationMode: "Shallow", targetRegions: [{ name: "westeurope", regionalReplicaCount: 2 }] },
    ],
    ["Shallow with a default of 2", { replicationMode: "Shallow", replicaCount: 2 }],
    ["a duplicate region", { targetRegions: [{ name: "westeurope" }, { name: "West Europe" }] }],
    ["an unknown region", { targetRegions: [{ name: "westeurope" }, { name: "atlantis" }] }],
    ["an unknown storage type", { storageAccountType: "Fast_LRS" }],
  ])("%s → 400 InvalidParameter", async (_name, publishingProfile) => {
    expect(
      await armError(() =>
        client.galleryImageVersions.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "linux",
          "0.0.1",
          version({ id: snapshotId }, publishingProfile),
          POLL,
        ),
      ),
    ).toMatchObject({ status: 400, code: "InvalidParameter" });
  });

  it("Shallow with 1 replica per region and 100 replicas (Full) are accepted", async () => {
    const shallow = await client.galleryImageVersions.beginCreateOrUpdate(
      rg,
      "gal",
      "linux",
      "0.1.0",
      version(
        { id: snapshotId },
        { replicationMode: "Shallow", targetRegions: [{ name: "westeurope" }, { name: "eastus" }] },
      ),
      POLL,
    );
    expect(shallow.getOperationState().status).toBe("running");
    const full = await client.galleryImageVersions.beginCreateOrUpdate(
      rg,
      "gal",
      "linux",
      "0.2.0",
      version({ id: snapshotId }, { replicaCount: 100 }),
      POLL,
    );
    await Promise.all([shallow.pollUntilDone(), full.pollUntilDone()]);
  });

  it("changing a version's source, storage type or replication mode → 409 PropertyChangeNotAllowed", async () => {
    const other = await snapshotFromNewVhd(client, local, "other");
    await client.galleryImageVersions.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "linux",
      "1.0.0",
      version({ id: snapshotId }),
      POLL,
    );
    for (const [body, target] of [
      [version({ id: other }), "properties.storageProfile"],
      [version({ id: snapshotId }, { storageAccountType: "Premium_LRS" }), "storageAccountType"],
      [version({ id: snapshotId }, { replicationMode: "Shallow" }), "replicationMode"],
    ] as const) {
      const e = await armError(() =>
        client.galleryImageVersions.beginCreateOrUpdateAndWait(rg, "gal", "linux", "1.0.0", body, POLL),
      );
      expect(e).toMatchObject({ status: 409, code: "PropertyChangeNotAllowed" });
      expect(e.message).toContain(target);
    }
    // updatable: regions, excludeFromLatest, end of life
    const updated = await client.galleryImageVersions.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "linux",
      "1.0.0",
      version(
        { id: snapshotId },
        { targetRegions: [{ name: "westeurope" }, { name: "eastus" }], excludeFromLatest: true },
      ),
      POLL,
    );
    expect(updated.publishingProfile?.targetRegions?.map((t) => t.name)).toEqual(["westeurope", "eastus"]);
    const status = await client.galleryImageVersions.get(rg, "gal", "linux", "1.0.0", {
      expand: "ReplicationStatus",
    });
    expect(status.replicationStatus?.summary?.map((s) => [s.region, s.state])).toEqual([
      ["westeurope", "Completed"],
      ["eastus", "Completed"],
    ]);
  });

  it("missing source snapshot → 404 NotFound; snapshot in another region → 400 InvalidParameter", async () => {
    const missing = snapshotId.replace("snap-base", "snap-missing");
    expect(
      await armError(() =>
        client.galleryImageVersions.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "linux",
          "3.0.0",
          version({ id: missing }),
          POLL,
        ),
      ),
    ).toMatchObject({ status: 404, code: "NotFound" });
    const disk = await client.disks.beginCreateOrUpdateAndWait(
      rg,
      "empty-ne",
      { location: "northeurope", creationData: { createOption: "Empty" }, diskSizeGB: 1 } as never,
      POLL,
    );
    const snap = await client.snapshots.beginCreateOrUpdateAndWait(
      rg,
      "snap-ne",
      { location: "northeurope", creationData: { createOption: "Copy", sourceResourceId: disk.id } } as never,
      POLL,
    );
    expect(
      await armError(() =>
        client.galleryImageVersions.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "linux",
          "3.0.0",
          version({ id: snap.id }),
          POLL,
        ),
      ),
    ).toMatchObject({ status: 400, code: "InvalidParameter" });
  });

  it("TrustedLaunch needs a blob source; ConfidentialVM needs a snapshot source", async () => {
    await galleryWithImage(client, rg, "gal", "tl", {
      features: [{ name: "SecurityType", value: "TrustedLaunch" }],
    });
    await galleryWithImage(client, rg, "gal", "cvm", {
      features: [{ name: "SecurityType", value: "ConfidentialVM" }],
    });
    const uri = await putVhdBlob(local, "tl.vhd");
    const blobSource = { uri, storageAccountId: local.storageAccountId };
    const tlSnap = await armError(() =>
      client.galleryImageVersions.beginCreateOrUpdateAndWait(
        rg,
        "gal",
        "tl",
        "1.0.0",
        version({ id: snapshotId }),
        POLL,
      ),
    );
    expect(tlSnap).toMatchObject({ status: 400, code: "InvalidParameter" });
    expect(tlSnap.message).toContain("Vhd Blob");
    const tlBlob = await client.galleryImageVersions.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "tl",
      "1.0.0",
      version(blobSource),
      POLL,
    );
    expect(tlBlob.provisioningState).toBe("Succeeded");
    expect(
      await armError(() =>
        client.galleryImageVersions.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "cvm",
          "1.0.0",
          version(blobSource),
          POLL,
        ),
      ),
    ).toMatchObject({ status: 400, code: "InvalidParameter" });
    const cvmSnap = await client.galleryImageVersions.beginCreateOrUpdateAndWait(
      rg,
      "gal",
      "cvm",
      "1.0.0",
      version({ id: snapshotId }),
      POLL,
    );
    expect(cvmSnap.provisioningState).toBe("Succeeded");
  });

  it("writing while the version is still being created → 409 OperationNotAllowed", async () => {
    local.arm.faults.slowOperations({ type: "versions", nameIncludes: "4.0.0", extraMs: 3000, times: 1 });
    const poller = await client.galleryImageVersions.beginCreateOrUpdate(
      rg,
      "gal",
      "linux",
      "4.0.0",
      version({ id: snapshotId }),
      POLL,
    );
    expect(
      await armError(() =>
        client.galleryImageVersions.beginCreateOrUpdateAndWait(
          rg,
          "gal",
          "linux",
          "4.0.0",
          version({ id: snapshotId }),
          POLL,
        ),
      ),
    ).toMatchObject({ status: 409, code: "OperationNotAllowed" });
    expect(local.arm.state.versions().find((v) => v.name === "4.0.0")?.["properties"]).toMatchObject({
      provisioningState: "Creating",
    });
    await poller.pollUntilDone();
  });
});

describe("disk Import and snapshot Copy", () => {
  const importDisk = (
    name: string,
    sourceUri: string,
    extra: Record<string, unknown> = {},
  ): Promise<unknown> =>
    client.disks.beginCreateOrUpdateAndWait(
      rg,
      name,
      {
        location: "westeurope",
        creationData: { createOption: "Import", sourceUri, storageAccountId: local.storageAccountId },
        ...extra,
      } as never,
      POLL,
    );

  it("imports a valid fixed VHD: size from the footer", async () => {
    const uri = await putVhdBlob(local, "ok.vhd", 3 * MIB);
    const disk = (await importDisk("imported", uri)) as {
      diskSizeBytes?: number;
      provisioningState?: string;
    };
    expect(disk).toMatchObject({ diskSizeBytes: 3 * MIB, provisioningState: "Succeeded" });
  });

  it.each([
    ["a bad cookie", { cookie: "notavhd!" }, "conectix"],
    ["a dynamic VHD", { diskType: 3 }, "dynamic"],
    ["a bad checksum", { badChecksum: true }, "checksum"],
  ])("%s → 400 BadRequest", async (name, footer, text) => {
    const uri = await putVhdBlob(local, `bad-${name.replace(/\W/g, "")}.vhd`, MIB, footer);
    const e = await armError(() => importDisk(`bad-${name.replace(/\W/g, "")}`, uri));
    expect(e).toMatchObject({ status: 400, code: "BadRequest" });
    expect(e.message).toContain(text);
  });

  it("a virtual size that is not a whole number of MiB → 400 BadRequest", async () => {
    const uri = await putVhdBlob(local, "odd.vhd", MIB + 512);
    const e = await armError(() => importDisk("odd", uri));
    expect(e).toMatchObject({ status: 400, code: "BadRequest" });
    expect(e.message).toContain("multiple of MiB");
  });

  it("a missing blob, a block blob → 400 InvalidParameter", async () => {
    expect(
      await armError(() => importDisk("nope", `${local.azurite.blobEndpoint}/vhds/missing.vhd`)),
    ).toMatchObject({
      status: 400,
      code: "InvalidParameter",
    });
    const block = await putBlockBlob(local, "block.vhd");
    expect(await armError(() => importDisk("block", block))).toMatchObject({
      status: 400,
      code: "InvalidParameter",
    });
  });

  it("a disk in another region than the storage account → 400 InvalidParameter", async () => {
    const uri = await putVhdBlob(local, "region.vhd");
    const e = await armError(() => importDisk("region", uri, { location: "northeurope" }));
    expect(e).toMatchObject({ status: 400, code: "InvalidParameter" });
    expect(e.message).toContain("same region");
  });

  it("an unknown storage account → 404 StorageAccountNotFound; a blob outside the named account → 400", async () => {
    const uri = await putVhdBlob(local, "acct.vhd");
    const unknown = local.storageAccountId.replace(/devstoreaccount1$/, "otheraccount");
    expect(
      await armError(() =>
        client.disks.beginCreateOrUpdateAndWait(
          rg,
          "acct",
          {
            location: "westeurope",
            creationData: { createOption: "Import", sourceUri: uri, storageAccountId: unknown },
          } as never,
          POLL,
        ),
      ),
    ).toMatchObject({ status: 404, code: "StorageAccountNotFound" });
    expect(
      await armError(() => importDisk("acct", "https://elsewhere.blob.core.windows.net/vhds/x.vhd")),
    ).toMatchObject({
      status: 400,
      code: "InvalidParameter",
    });
    // the public-cloud URL form of the Azurite account maps onto Azurite
    const ok = (await importDisk("acct", "https://devstoreaccount1.blob.core.windows.net/vhds/acct.vhd")) as {
      provisioningState?: string;
    };
    expect(ok.provisioningState).toBe("Succeeded");
  });

  it("changing a disk's creationData → 409 PropertyChangeNotAllowed", async () => {
    const a = await putVhdBlob(local, "cd-a.vhd");
    const b = await putVhdBlob(local, "cd-b.vhd");
    await importDisk("cd", a);
    expect(await armError(() => importDisk("cd", b))).toMatchObject({
      status: 409,
      code: "PropertyChangeNotAllowed",
    });
  });

  it("snapshot Copy of a missing disk → 404 NotFound; across regions → 400 InvalidParameter", async () => {
    const missing = `/subscriptions/${local.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/none`;
    expect(
      await armError(() =>
        client.snapshots.beginCreateOrUpdateAndWait(
          rg,
          "s-missing",
          {
            location: "westeurope",
            creationData: { createOption: "Copy", sourceResourceId: missing },
          } as never,
          POLL,
        ),
      ),
    ).toMatchObject({ status: 404, code: "NotFound" });
    const disk = await client.disks.get(rg, "imported");
    expect(
      await armError(() =>
        client.snapshots.beginCreateOrUpdateAndWait(
          rg,
          "s-far",
          { location: "eastus", creationData: { createOption: "Copy", sourceResourceId: disk.id } } as never,
          POLL,
        ),
      ),
    ).toMatchObject({ status: 400, code: "InvalidParameter" });
  });
});
