/**
 * Drives the ARM emulator with the real @azure/arm-compute client through a full publish-shaped
 * flow (plus error answers and a throttled request), then validates every recorded exchange against
 * Azure's own OpenAPI specs with ../shared/azure-specs/validate-traffic.mjs (oav). Fails on any FAIL;
 * the only SKIPs allowed are the LRO operation-status polls, which GalleryRP/DiskRP do not describe.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComputeManagementClient } from "@azure/arm-compute";
import { startLocalAzure, type LocalAzure } from "../harness/local-azure.ts";
import { azureSpecsDir, formatFailures, unexpectedSkips, validateTraffic } from "../harness/traffic.ts";
import { armError, computeClient, galleryWithImage, POLL, putVhdBlob } from "./emulator/helpers.ts";

const specs = azureSpecsDir();
if (specs === undefined) {
  console.warn("../shared/azure-specs not found: traffic validation skipped");
}

describe.skipIf(specs === undefined)(
  "ARM traffic recorded from the SDK validates against the Azure specs",
  () => {
    let local: LocalAzure;
    let client: ComputeManagementClient;

    beforeAll(async () => {
      // Retry-After: 0 lets the SDK poll at POLL's 100 ms instead of 1 s.
      local = await startLocalAzure({ arm: { pageSize: 2, timing: { retryAfterSeconds: 0 } } });
      client = computeClient(local);
    });
    afterAll(async () => {
      await local?.stop();
    });

    it("full flow: gallery, image, disk import, snapshot, versions from snapshot and blob, replication, lists, updates, errors, deletes", async () => {
      const rg = local.resourceGroup;
      const g = "galTraffic";
      await galleryWithImage(client, rg, g, "ubuntu-web", {
        features: [
          { name: "SecurityType", value: "TrustedLaunchSupported" },
          { name: "DiskControllerTypes", value: "SCSI, NVMe" },
        ],
        description: "web servers",
        recommended: { vCPUs: { min: 2, max: 16 }, memory: { min: 4, max: 64 } },
      });
      await galleryWithImage(client, rg, g, "ubuntu-cvm", {
        features: [{ name: "SecurityType", value: "ConfidentialVMSupported" }],
      });

      // disk Import → snapshot Copy (OS + one data disk)
      const osUri = await putVhdBlob(local, "os.vhd", 2 * 1024 * 1024);
      const dataUri = await putVhdBlob(local, "data0.vhd", 1024 * 1024);
      const importDisk = async (name: string, uri: string): Promise<string> => {
        const d = await client.disks.beginCreateOrUpdateAndWait(
          rg,
          name,
          {
            location: "westeurope",
            sku: { name: "Standard_LRS" },
            osType: name.includes("os") ? "Linux" : undefined,
            hyperVGeneration: "V2",
            creationData: {
              createOption: "Import",
              sourceUri: uri,
              storageAccountId: local.storageAccountId,
            },
            tags: { "sig-publish": "staging" },
          } as never,
          POLL,
        );
        const s = await client.snapshots.beginCreateOrUpdateAndWait(
          rg,
          name.replace("disk", "snap"),
          {
            location: "westeurope",
            incremental: false,
            creationData: { createOption: "Copy", sourceResourceId: d.id },
          } as never,
          POLL,
        );
        return s.id ?? "";
      };
      const osSnap = await importDisk("disk-os", osUri);
      const dataSnap = await importDisk("disk-data0", dataUri);

      // version from snapshots (ConfidentialVMSupported needs managed sources)
      const fromSnapshots = await client.galleryImageVersions.beginCreateOrUpdateAndWait(
        rg,
        g,
        "ubuntu-cvm",
        "1.0.0",
        {
          location: "westeurope",
          tags: { commit: "abc123", "vhd-digest": "sha256:00" },
          publishingProfile: {
            targetRegions: [
              { name: "westeurope", regionalReplicaCount: 1, storageAccountType: "Standard_LRS" },
              { name: "eastus", regionalReplicaCount: 2, storageAccountType: "Standard_ZRS" },
            ],
            replicaCount: 1,
            excludeFromLatest: true,
            endOfLifeDate: new Date("2027-06-01T00:00:00Z"),
            storageAccountType: "Standard_LRS",
            replicationMode: "Full",
          },
          storageProfile: {
            osDiskImage: { source: { id: osSnap }, hostCaching: "ReadOnly" },
            dataDiskImages: [{ lun: 0, source: { id: dataSnap }, hostCaching: "None" }],
          },
          safetyProfile: { allowDeletionOfReplicatedLocations: false },
        } as never,
        POLL,
      );
      expect(fromSnapshots.provisioningState).toBe("Succeeded");

      // version from blobs (TrustedLaunchSupported needs a blob source)
      const fromBlob = await client.galleryImageVersions.beginCreateOrUpdateAndWait(
        rg,
        g,
        "ubuntu-web",
        "1.0.0",
        {
          location: "westeurope",
          publishingProfile: {
            targetRegions: [{ name: "westeurope" }, { name: "northeurope", excludeFromLatest: true }],
            replicationMode: "Shallow",
          },
          storageProfile: {
            osDiskImage: { source: { uri: osUri, storageAccountId: local.storageAccountId } },
            dataDiskImages: [{ lun: 0, source: { uri: dataUri, storageAccountId: local.storageAccountId } }],
          },
        } as never,
        POLL,
      );
      expect(fromBlob.provisioningState).toBe("Succeeded");

      // replication status
      const withStatus = await client.galleryImageVersions.get(rg, g, "ubuntu-cvm", "1.0.0", {
        expand: "ReplicationStatus",
      });
      expect(withStatus.replicationStatus?.aggregatedState).toBe("Completed");

      // lists (pageSize 2 → nextLink paging)
      const images = [];
      for await (const i of client.galleryImages.listByGallery(rg, g)) images.push(i.name);
      expect(images.sort()).toEqual(["ubuntu-cvm", "ubuntu-web"]);
      const disks = [];
      for await (const d of client.disks.listByResourceGroup(rg)) disks.push(d.name);
      const snaps = [];
      for await (const s of client.snapshots.list()) snaps.push(s.name);
      const galleries = [];
      for await (const x of client.galleries.listByResourceGroup(rg)) galleries.push(x.name);
      expect(galleries).toEqual([g]);
      for await (const x of client.galleries.list()) galleries.push(x.name);
      expect(disks.sort()).toEqual(["disk-data0", "disk-os"]);
      expect(snaps.sort()).toEqual(["snap-data0", "snap-os"]);
      // three versions → two pages
      await client.galleryImageVersions.beginCreateOrUpdateAndWait(
        rg,
        g,
        "ubuntu-cvm",
        "1.0.1",
        {
          location: "westeurope",
          storageProfile: { osDiskImage: { source: { id: osSnap } } },
        } as never,
        POLL,
      );
      await client.galleryImageVersions.beginCreateOrUpdateAndWait(
        rg,
        g,
        "ubuntu-cvm",
        "1.1.0",
        {
          location: "westeurope",
          storageProfile: { osDiskImage: { source: { id: osSnap } } },
        } as never,
        POLL,
      );
      const versions = [];
      for await (const v of client.galleryImageVersions.listByGalleryImage(rg, g, "ubuntu-cvm"))
        versions.push(v.name);
      expect(versions).toEqual(["1.0.0", "1.0.1", "1.1.0"]);

      // updates: PATCH a definition (mutable), PATCH a version (promote), PUT a gallery again
      await client.galleryImages.beginUpdateAndWait(
        rg,
        g,
        "ubuntu-web",
        {
          osType: "Linux",
          osState: "Generalized",
          identifier: { publisher: "Contoso", offer: "WebServer", sku: "ubuntu-web-sku" },
          description: "updated",
          eula: "none",
        } as never,
        POLL,
      );
      await client.galleryImageVersions.beginUpdateAndWait(
        rg,
        g,
        "ubuntu-cvm",
        "1.0.0",
        // GalleryImageVersionUpdate requires storageProfile in the spec: send the unchanged one.
        {
          publishingProfile: { excludeFromLatest: false },
          storageProfile: {
            osDiskImage: { source: { id: osSnap } },
            dataDiskImages: [{ lun: 0, source: { id: dataSnap } }],
          },
        } as never,
        POLL,
      );
      await client.galleries.beginCreateOrUpdateAndWait(
        rg,
        g,
        { location: "westeurope", description: "again" },
        POLL,
      );

      // error answers (CloudError): 404, 409, 400, 404 parent
      expect(
        (await armError(() => client.galleryImageVersions.get(rg, g, "ubuntu-cvm", "9.9.9"))).status,
      ).toBe(404);
      expect(
        (
          await armError(() =>
            client.galleryImageVersions.beginCreateOrUpdateAndWait(
              rg,
              g,
              "ubuntu-cvm",
              "1.0.0",
              {
                location: "westeurope",
                storageProfile: { osDiskImage: { source: { id: dataSnap } } },
              } as never,
              POLL,
            ),
          )
        ).code,
      ).toBe("PropertyChangeNotAllowed");
      expect(
        (
          await armError(() =>
            client.galleryImageVersions.beginCreateOrUpdateAndWait(
              rg,
              g,
              "ubuntu-cvm",
              "1.0",
              {
                location: "westeurope",
                storageProfile: { osDiskImage: { source: { id: osSnap } } },
              } as never,
              POLL,
            ),
          )
        ).code,
      ).toBe("InvalidParameter");
      expect(
        (
          await armError(() =>
            client.galleryImageVersions.beginCreateOrUpdateAndWait(
              rg,
              g,
              "missing",
              "1.0.0",
              {
                location: "westeurope",
                storageProfile: { osDiskImage: { source: { id: osSnap } } },
              } as never,
              POLL,
            ),
          )
        ).code,
      ).toBe("ParentResourceNotFound");

      // a throttled GET (429 + Retry-After) that the SDK retries
      local.arm.faults.add({
        method: "GET",
        pathIncludes: "/images/ubuntu-web",
        respond: { status: 429, retryAfterSeconds: 1 },
      });
      expect((await client.galleryImages.get(rg, g, "ubuntu-web")).description).toBe("updated");

      // deletes (LRO) and a delete of something already gone (204)
      await client.galleryImageVersions.beginDeleteAndWait(rg, g, "ubuntu-cvm", "1.0.1", POLL);
      await client.snapshots.beginDeleteAndWait(rg, "snap-data0", POLL);
      await client.disks.beginDeleteAndWait(rg, "disk-data0", POLL);
      await client.disks.beginDeleteAndWait(rg, "disk-data0", POLL);
      expect(local.arm.state.disks().map((d) => d.name)).toEqual(["disk-os"]);

      // validate everything recorded
      const report = await validateTraffic(local.arm.trafficFile);
      const total = report.summary.passed + report.summary.failed + report.summary.skipped;
      console.info(
        `traffic validation: ${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.skipped} skipped (LRO status polls) of ${total} exchanges`,
      );
      expect(formatFailures(report)).toBe("");
      expect(report.summary.failed).toBe(0);
      expect(unexpectedSkips(report)).toEqual([]);
      // The errors and the throttled answer are part of what was validated.
      const codes = new Set(report.results.map((r) => r.statusCode));
      for (const c of ["200", "201", "202", "204", "400", "404", "409", "429"]) expect(codes).toContain(c);
      expect(report.summary.passed).toBeGreaterThan(40);
    });
  },
);
