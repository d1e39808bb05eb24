import { describe, expect, it } from "vitest";
import {
  buildPlan,
  decideVersion,
  intermediateNames,
  retentionCandidates,
} from "../../../src/core/plan/index.ts";
import type {
  AzureFacts,
  ExistingImageDefinition,
  ExistingImageVersion,
  LocalDiskFacts,
  Plan,
  PlanInput,
} from "../../../src/core/plan/index.ts";
import type { ResolvedManifest } from "../../../src/core/manifest/model.ts";
import { makeManifest } from "../../helpers/manifest-fixtures.ts";

const DIGEST = "sha256-p4m:1111";
const OTHER = "sha256-p4m:2222";
const GIB = 1024 ** 3;

const matchingDefinition: ExistingImageDefinition = {
  location: "westeurope",
  osType: "Linux",
  osState: "Generalized",
  hyperVGeneration: "V2",
  architecture: "x64",
  publisher: "Contoso",
  offer: "WebServer",
  sku: "ubuntu-24-gen2",
  features: {
    SecurityType: "TrustedLaunchSupported",
    IsAcceleratedNetworkSupported: "true",
    DiskControllerTypes: "SCSI,NVMe",
  },
  description: "Ubuntu 24.04 web server",
  recommended: { vCPUs: { min: 2, max: 16 }, memory: { min: 4, max: 64 } },
  disallowedDiskTypes: ["Standard_LRS"],
  tags: { team: "platform" },
};

function facts(overrides: Partial<AzureFacts> = {}): AzureFacts {
  return {
    gallery: { exists: true, location: "westeurope" },
    imageDefinition: { exists: true, properties: matchingDefinition },
    versions: [],
    stagingContainerExists: true,
    existingBlobs: [],
    existingDisks: [],
    existingSnapshots: [],
    ...overrides,
  };
}

const osDisk: LocalDiskFacts = {
  role: "os",
  path: "out/ubuntu-web.vhd",
  format: "dynamic",
  virtualSize: 30 * GIB,
  blobSize: 30 * GIB + 512,
  allocatedBytes: 2 * GIB,
  digest: DIGEST,
};

interface Scenario {
  readonly manifest?: ResolvedManifest;
  readonly azure?: AzureFacts | undefined;
  readonly noAzure?: boolean;
  readonly explicit?: string;
  readonly disks?: readonly LocalDiskFacts[];
  readonly waitForReplication?: boolean;
}

function plan(s: Scenario = {}): Plan {
  const manifest = s.manifest ?? makeManifest();
  const azure = s.noAzure === true ? undefined : (s.azure ?? facts());
  const disks = s.disks ?? [osDisk];
  const version = decideVersion({
    ...(s.explicit === undefined ? {} : { explicit: s.explicit }),
    ...(manifest.version.number === undefined ? {} : { manifestNumber: manifest.version.number }),
    bump: manifest.version.bump,
    existing: azure?.versions,
    ...(disks[0]?.digest === undefined ? {} : { vhdDigest: disks[0].digest }),
    galleryName: manifest.gallery.name,
    imageName: manifest.image.name,
  });
  const input: PlanInput = {
    manifest,
    version,
    azure,
    disks,
    mode: "plan",
    ...(s.waitForReplication === undefined ? {} : { waitForReplication: s.waitForReplication }),
  };
  return buildPlan(input);
}

const steps = (p: Plan) => p.steps.map((s) => `${s.id}:${s.action}`);
const step = (p: Plan, id: string) => {
  const found = p.steps.find((s) => s.id === id);
  if (found === undefined) throw new Error(`no step ${id} in ${steps(p).join(", ")}`);
  return found;
};
const version = (
  name: string,
  digest?: string,
  extra: Partial<ExistingImageVersion> = {},
): ExistingImageVersion => ({
  name,
  provisioningState: "Succeeded",
  ...(digest === undefined ? {} : { digest }),
  ...extra,
});

describe("buildPlan scenarios", () => {
  it("existing gallery and identical definition, empty: creates the manifest version via blob", () => {
    const p = plan();
    expect(steps(p)).toEqual([
      "lock:acquire",
      "gallery:keep",
      "image-definition:keep",
      "container:keep",
      "upload-os:upload",
      "image-version:create",
      "replication:wait",
      "promote:update",
      "cleanup-blob-os:delete",
    ]);
    expect(p.version).toMatchObject({
      value: "1.4.0",
      reason: "manifest",
      lowerBound: false,
      blocked: false,
    });
    expect(p.ok).toBe(true);
    expect(p.via).toEqual({
      value: "blob",
      requested: "blob",
      reason: expect.stringContaining("TrustedLaunchSupported") as unknown,
    });
    expect(step(p, "upload-os").name).toBe("vhds/ubuntu-web/1.4.0/os.vhd");
    expect(step(p, "image-version").details).toMatchObject({
      excludeFromLatest: true,
      endOfLife: "2027-06-01",
    });
    expect(p.warnings).toEqual([]);
    expect(p.targetRegions).toEqual([
      { name: "westeurope", replicas: 1, storageAccountType: "Standard_LRS", source: true, encrypted: false },
      { name: "eastus", replicas: 2, storageAccountType: "Standard_ZRS", source: false, encrypted: false },
      {
        name: "southeastasia",
        replicas: 3,
        storageAccountType: "Premium_LRS",
        source: false,
        encrypted: false,
      },
    ]);
  });

  it("fresh: gallery missing with create: true → everything created", () => {
    const p = plan({
      manifest: makeManifest({ gallery: { create: true } }),
      azure: facts({ gallery: { exists: false }, versions: [], stagingContainerExists: false }),
    });
    expect(steps(p).slice(0, 5)).toEqual([
      "lock:acquire",
      "gallery:create",
      "image-definition:create",
      "container:create",
      "upload-os:upload",
    ]);
    expect(p.ok).toBe(true);
  });

  it("gallery missing with create: false → conflict and a blocker with a fix", () => {
    const p = plan({ azure: facts({ gallery: { exists: false } }) });
    expect(step(p, "gallery").action).toBe("conflict");
    expect(p.ok).toBe(false);
    expect(p.blockers[0]).toMatchObject({ code: "plan.gallery-missing", stepId: "gallery" });
    expect(p.blockers[0]?.message).toContain(
      "Gallery contosoGallery does not exist in resource group rg-images",
    );
    expect(p.blockers[0]?.fix).toContain("gallery.create: true in images/ubuntu-web.image.yml");
    expect(p.blockers[0]?.fix).toContain(
      "az sig create --resource-group rg-images --gallery-name contosoGallery",
    );
  });

  it("definition with mutable differences → update listing each change", () => {
    const p = plan({
      azure: facts({
        imageDefinition: {
          exists: true,
          properties: {
            ...matchingDefinition,
            description: "old",
            endOfLifeDate: "2026-01-01T00:00:00+00:00",
            recommended: { vCPUs: { min: 2, max: 8 }, memory: { min: 4, max: 64 } },
            disallowedDiskTypes: [],
            tags: { team: "platform", old: "x" },
          },
        },
      }),
    });
    const s = step(p, "image-definition");
    expect(s.action).toBe("update");
    expect(s.changes).toEqual([
      { property: "description", from: "old", to: "Ubuntu 24.04 web server" },
      { property: "endOfLifeDate", from: "2026-01-01" },
      { property: "recommended.vCPUs.max", from: "8", to: "16" },
      { property: "disallowedDiskTypes", to: "Standard_LRS" },
      { property: "tags.old", from: "x" },
    ]);
    expect(p.ok).toBe(true);
  });

  it("definition with immutable differences → conflict naming each property, old → new", () => {
    const p = plan({
      azure: facts({
        imageDefinition: {
          exists: true,
          properties: {
            ...matchingDefinition,
            osState: "Specialized",
            hyperVGeneration: "V1",
            sku: "ubuntu-22",
            features: { SecurityType: "Standard", IsAcceleratedNetworkSupported: "false", Extra: "1" },
            description: "differs too",
          },
        },
      }),
    });
    const s = step(p, "image-definition");
    expect(s.action).toBe("conflict");
    expect(s.changes?.map((c) => c.property)).toEqual([
      "osState",
      "hyperVGeneration",
      "sku",
      "securityType",
      "features.IsAcceleratedNetworkSupported",
      "features.DiskControllerTypes",
    ]);
    expect(p.blockers[0]?.code).toBe("plan.definition-immutable");
    expect(p.blockers[0]?.message).toContain('osState: "Specialized" → "Generalized"');
    expect(p.blockers[0]?.message).toContain('hyperVGeneration: "V1" → "V2"');
    expect(p.blockers[0]?.fix).toContain(
      "set image.name in images/ubuntu-web.image.yml to a new name (e.g. ubuntu-web-2)",
    );
    expect(p.warnings.join("\n")).toContain("feature Extra=1");
    // The existing Standard definition imposes no via: the manifest's blob stays.
    expect(p.via.value).toBe("blob");
  });

  it("enumerations and identifiers compare case-insensitively", () => {
    const p = plan({
      azure: facts({
        imageDefinition: {
          exists: true,
          properties: {
            ...matchingDefinition,
            osType: "linux",
            publisher: "CONTOSO",
            location: "WestEurope",
          },
        },
      }),
    });
    expect(step(p, "image-definition").action).toBe("keep");
  });

  it("versions present → bump from the highest", () => {
    const p = plan({
      azure: facts({ versions: [version("1.4.0", OTHER), version("1.4.1", OTHER), version("0.9.0")] }),
    });
    expect(p.version).toMatchObject({
      value: "1.4.2",
      reason: "bumped",
      bumpedFrom: "1.4.1",
      highestExisting: "1.4.1",
    });
    expect(step(p, "upload-os").name).toBe("vhds/ubuntu-web/1.4.2/os.vhd");
  });

  it("resume: the version exists from this VHD and succeeded → keep, uploads skipped", () => {
    const p = plan({
      azure: facts({
        versions: [version("1.4.0", DIGEST, { excludeFromLatest: true, replicationState: "Completed" })],
      }),
    });
    expect(p.version).toMatchObject({ value: "1.4.0", resume: true });
    expect(steps(p)).toEqual([
      "lock:acquire",
      "gallery:keep",
      "image-definition:keep",
      "container:keep",
      "upload-os:skip",
      "image-version:keep",
      "replication:keep",
      "promote:update",
      "cleanup-blob-os:delete",
    ]);
  });

  it("resume after a Failed version: intermediates reused, version created again", () => {
    const p = plan({
      manifest: makeManifest({
        image: { securityType: "ConfidentialVMSupported" },
        staging: { via: "snapshot" },
      }),
      azure: facts({
        imageDefinition: {
          exists: true,
          properties: {
            ...matchingDefinition,
            features: { ...matchingDefinition.features, SecurityType: "ConfidentialVMSupported" },
          },
        },
        versions: [version("1.4.0", DIGEST, { provisioningState: "Failed" })],
        existingBlobs: [{ path: "ubuntu-web/1.4.0/os.vhd", digest: DIGEST, complete: true }],
        existingDisks: [{ name: "ubuntu-web-1.4.0-os", provisioningState: "Succeeded" }],
        existingSnapshots: [{ name: "ubuntu-web-1.4.0-os-snapshot", provisioningState: "Failed" }],
      }),
    });
    expect(steps(p)).toEqual([
      "lock:acquire",
      "gallery:keep",
      "image-definition:keep",
      "container:keep",
      "upload-os:skip",
      "disk-os:keep",
      "snapshot-os:create",
      "image-version:create",
      "replication:wait",
      "promote:update",
      "cleanup-blob-os:delete",
      "cleanup-snapshot-os:delete",
      "cleanup-disk-os:delete",
    ]);
    expect(step(p, "image-version").reason).toContain("Failed: created again");
  });

  it("explicit version equal to one from another VHD → blocked conflict", () => {
    const p = plan({ explicit: "1.4.0", azure: facts({ versions: [version("1.4.0", OTHER)] }) });
    expect(p.ok).toBe(false);
    expect(p.version).toMatchObject({ value: "1.4.0", blocked: true });
    expect(step(p, "image-version").action).toBe("conflict");
    expect(p.blockers[0]).toMatchObject({ code: "version.conflict", stepId: "image-version" });
    expect(p.blockers[0]?.fix).toContain("Pick 1.4.1 or higher");
  });

  it("explicit version lower than the highest → blocked", () => {
    const p = plan({ explicit: "1.3.0", azure: facts({ versions: [version("1.4.0", OTHER)] }) });
    expect(p.blockers[0]?.code).toBe("version.too-low");
  });

  it("explicit version equal to one with a digest, ours not computed → unknown, provisional", () => {
    const p = plan({
      explicit: "1.4.0",
      azure: facts({ versions: [version("1.4.0", OTHER)] }),
      disks: [{ ...osDisk, digest: undefined }],
    });
    expect(step(p, "image-version").action).toBe("unknown");
    expect(p.warnings.join()).toContain("provisional");
  });

  it("no credentials → unknown steps, version at least the manifest's", () => {
    const p = plan({ noAzure: true, manifest: makeManifest({ retention: { keep: 3 } }) });
    expect(p.readAccess).toBe(false);
    expect(p.version).toMatchObject({ value: "1.4.0", lowerBound: true });
    expect(steps(p)).toEqual([
      "lock:acquire",
      "gallery:unknown",
      "image-definition:unknown",
      "container:unknown",
      "upload-os:unknown",
      "image-version:create",
      "replication:wait",
      "promote:update",
      "cleanup-blob-os:delete",
      "retention:unknown",
    ]);
    expect(step(p, "gallery").reason).toContain("needs read access");
    expect(step(p, "image-version").reason).toContain("at least 1.4.0");
  });

  it("TrustedLaunch definition with via: snapshot → switched to blob, with a warning", () => {
    const p = plan({
      manifest: makeManifest({ image: { securityType: "TrustedLaunch" }, staging: { via: "snapshot" } }),
      noAzure: true,
    });
    expect(p.via).toMatchObject({ value: "blob", requested: "snapshot" });
    expect(p.warnings.join()).toContain("staging.via is snapshot");
    expect(p.warnings.join()).toContain(
      "security type TrustedLaunch needs the version made straight from the blob",
    );
    expect(steps(p).some((s) => s.startsWith("disk-") || s.startsWith("snapshot-"))).toBe(false);
  });

  it("ConfidentialVM definition with via: blob → switched to snapshot: disk and snapshot steps", () => {
    const p = plan({
      manifest: makeManifest({ image: { securityType: "ConfidentialVM" }, staging: { via: "blob" } }),
      azure: facts({ imageDefinition: { exists: false } }),
    });
    expect(p.via).toMatchObject({ value: "snapshot", requested: "blob" });
    expect(p.warnings.join()).toContain("via: snapshot");
    expect(step(p, "disk-os")).toMatchObject({ action: "create", name: "ubuntu-web-1.4.0-os" });
    expect(step(p, "disk-os").reason).toContain("Import from vhds/ubuntu-web/1.4.0/os.vhd");
    expect(step(p, "snapshot-os")).toMatchObject({ action: "create", name: "ubuntu-web-1.4.0-os-snapshot" });
    expect(step(p, "image-version").details).toMatchObject({ source: "snapshots" });
  });

  it("the security type in Azure wins over the manifest's for via", () => {
    const p = plan({
      manifest: makeManifest({ image: { securityType: undefined }, staging: { via: "snapshot" } }),
      azure: facts(),
    });
    // Conflict on securityType, and via follows Azure's TrustedLaunchSupported.
    expect(step(p, "image-definition").action).toBe("conflict");
    expect(p.via.value).toBe("blob");
  });

  it("Standard security type keeps the manifest's via", () => {
    const p = plan({
      manifest: makeManifest({ image: { securityType: "Standard" }, staging: { via: "snapshot" } }),
      noAzure: true,
    });
    expect(p.via).toEqual({ value: "snapshot", requested: "snapshot" });
  });

  it("retention: deletes versions beyond the newest N, never the new one", () => {
    const p = plan({
      manifest: makeManifest({ retention: { keep: 3 } }),
      azure: facts({
        versions: ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "not-a-version"].map((n) => version(n, OTHER)),
      }),
    });
    expect(p.version.value).toBe("1.4.0");
    expect(steps(p).filter((s) => s.startsWith("retention"))).toEqual([
      "retention-1.1.0:delete",
      "retention-1.0.0:delete",
    ]);
    expect(p.warnings.join()).toContain('Ignoring existing version "not-a-version"');
  });

  it("retention with nothing to delete → keep", () => {
    const p = plan({
      manifest: makeManifest({ retention: { keep: 10 } }),
      azure: facts({ versions: [version("1.0.0")] }),
    });
    expect(step(p, "retention")).toMatchObject({ action: "keep" });
  });

  it("data disks: one upload per disk, lun-N names, sorted", () => {
    const manifest = makeManifest({
      staging: { via: "snapshot" },
      image: { securityType: "Standard" },
      disks: {
        os: "out/os.vhd",
        data: [
          { lun: 2, path: "out/d2.vhd" },
          { lun: 0, path: "out/d0.vhd" },
        ],
      },
    });
    const data = (lun: number): LocalDiskFacts => ({
      ...osDisk,
      role: "data",
      lun,
      path: `out/d${lun}.vhd`,
      digest: `sha256-p4m:${lun}`,
    });
    const p = plan({
      manifest,
      azure: facts({
        imageDefinition: { exists: false },
        existingBlobs: [{ path: "ubuntu-web/1.4.0/lun-0.vhd", digest: "sha256-p4m:0", complete: true }],
      }),
      disks: [data(2), osDisk, data(0)],
    });
    expect(steps(p).filter((s) => /^(upload|disk|snapshot)-/.test(s))).toEqual([
      "upload-os:upload",
      "upload-lun-0:skip",
      "upload-lun-2:upload",
      "disk-os:create",
      "disk-lun-0:create",
      "disk-lun-2:create",
      "snapshot-os:create",
      "snapshot-lun-0:create",
      "snapshot-lun-2:create",
    ]);
    expect(step(p, "upload-lun-2").name).toBe("vhds/ubuntu-web/1.4.0/lun-2.vhd");
    expect(p.disks.map((d) => d.key)).toEqual(["os", "lun-0", "lun-2"]);
  });

  it("without local facts, disks come from the manifest", () => {
    const manifest = makeManifest({ disks: { os: "out/os.vhd", data: [{ lun: 1, path: "out/d1.vhd" }] } });
    const p = buildPlan({
      manifest,
      version: decideVersion({ manifestNumber: "1.4.0", bump: "patch", existing: [] }),
      azure: facts(),
      mode: "publish",
    });
    expect(p.disks).toEqual([
      { key: "os", path: "out/os.vhd" },
      { key: "lun-1", path: "out/d1.vhd" },
    ]);
    expect(p.warnings.join()).toContain("not inspected");
  });

  it("interrupted and foreign blobs are uploaded again", () => {
    const interrupted = plan({
      azure: facts({ existingBlobs: [{ path: "ubuntu-web/1.4.0/os.vhd", digest: DIGEST, complete: false }] }),
    });
    expect(step(interrupted, "upload-os")).toMatchObject({
      action: "upload",
      reason: expect.stringContaining("interrupted") as unknown,
    });
    const foreign = plan({
      azure: facts({ existingBlobs: [{ path: "ubuntu-web/1.4.0/os.vhd", digest: OTHER, complete: true }] }),
    });
    expect(step(foreign, "upload-os").reason).toContain("different VHD");
  });

  it("wait-for-replication false: replication and promotion skipped with a warning", () => {
    const p = plan({ waitForReplication: false });
    expect(step(p, "replication").action).toBe("skip");
    expect(step(p, "promote").action).toBe("skip");
    expect(p.warnings.join()).toContain("stays excluded from latest");
  });

  it("promote immediate / excludeFromLatest: no promote step; cleanup false: one skip", () => {
    const p = plan({
      manifest: makeManifest({ version: { promote: "immediate" }, staging: { cleanup: false } }),
    });
    expect(steps(p).some((s) => s.startsWith("promote"))).toBe(false);
    expect(step(p, "image-version").details).toMatchObject({ excludeFromLatest: false });
    expect(step(p, "cleanup").action).toBe("skip");
    const excluded = plan({ manifest: makeManifest({ version: { excludeFromLatest: true } }) });
    expect(steps(excluded).some((s) => s.startsWith("promote"))).toBe(false);
    expect(step(excluded, "image-version").details).toMatchObject({ excludeFromLatest: true });
  });

  it("end of life relative to publishing uses `now` when given", () => {
    const manifest = makeManifest({ version: { endOfLife: { kind: "afterPublish", days: 10 } } });
    const base = {
      manifest,
      version: decideVersion({ bump: "patch", existing: [] }),
      azure: facts(),
      mode: "plan" as const,
    };
    expect(step(buildPlan(base), "image-version").details?.["endOfLife"]).toBe("10 days after publishing");
    expect(
      step(buildPlan({ ...base, now: new Date("2026-01-25T12:00:00Z") }), "image-version").details?.[
        "endOfLife"
      ],
    ).toBe("2026-02-04");
  });

  it("gallery in another region than the manifest says → warning", () => {
    const p = plan({ azure: facts({ gallery: { exists: true, location: "eastus" } }) });
    expect(p.warnings.join()).toContain("Gallery contosoGallery is in eastus");
  });

  it("container unreadable → unknown with the role needed", () => {
    const p = plan({ azure: facts({ stagingContainerExists: undefined, existingBlobs: undefined }) });
    expect(step(p, "container")).toMatchObject({ action: "unknown" });
    expect(step(p, "container").reason).toContain("Storage Blob Data");
    expect(step(p, "upload-os").action).toBe("upload");
  });
});

describe("intermediateNames", () => {
  it("is deterministic and follows the documented layout", () => {
    const n = intermediateNames(makeManifest(), "1.4.0", [{ role: "os" }, { role: "data", lun: 3 }]);
    expect(n).toEqual({
      resourceGroup: "rg-images",
      storageAccount: "contosoimages",
      container: "vhds",
      lockBlob: "locks/contosoGallery/ubuntu-web.lock",
      disks: [
        {
          key: "os",
          role: "os",
          blobName: "ubuntu-web/1.4.0/os.vhd",
          blobPath: "vhds/ubuntu-web/1.4.0/os.vhd",
          diskName: "ubuntu-web-1.4.0-os",
          snapshotName: "ubuntu-web-1.4.0-os-snapshot",
        },
        {
          key: "lun-3",
          role: "data",
          lun: 3,
          blobName: "ubuntu-web/1.4.0/lun-3.vhd",
          blobPath: "vhds/ubuntu-web/1.4.0/lun-3.vhd",
          diskName: "ubuntu-web-1.4.0-lun-3",
          snapshotName: "ubuntu-web-1.4.0-lun-3-snapshot",
        },
      ],
    });
  });

  it("keeps long names within 80 characters, distinct and stable", () => {
    const long = makeManifest({ image: { name: `${"a".repeat(70)}-image` } });
    const v = "2147483647.2147483647.2147483647";
    const a = intermediateNames(long, v);
    const b = intermediateNames(long, v);
    const other = intermediateNames(long, "2147483647.2147483647.2147483646");
    const disk = a.disks[0];
    expect(disk?.diskName.length).toBeLessThanOrEqual(80);
    expect(disk?.snapshotName.length).toBeLessThanOrEqual(80);
    expect(disk?.snapshotName.endsWith("-os-snapshot")).toBe(true);
    expect(disk?.diskName).toBe(b.disks[0]?.diskName);
    expect(disk?.diskName).not.toBe(other.disks[0]?.diskName);
    expect(disk?.diskName).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9_]$/);
  });
});

describe("retentionCandidates", () => {
  it.each([
    [2, "1.3.0", ["1.0.0", "1.2.0", "1.1.0"], ["1.1.0", "1.0.0"]],
    [1, "1.3.0", ["1.2.0"], ["1.2.0"]],
    [1, "1.0.5", ["1.2.0", "1.1.0"], ["1.1.0"]],
    [0, "1.3.0", ["1.2.0"], ["1.2.0"]],
    [5, "1.3.0", ["1.2.0"], []],
    [2, "1.2.0", ["1.2.0", "1.1.0", "1.0.0"], ["1.0.0"]],
    [1, "1.10.0", ["1.9.0", "latest", "01.0.0"], ["1.9.0"]],
  ])("keep %i after %s of %j → delete %j", (keep, v, existing, expected) => {
    expect(retentionCandidates(keep, v, existing)).toEqual(expected);
  });
});
