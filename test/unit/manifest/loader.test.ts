import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkManifest, loadManifest, loadManifestFile } from "../../../src/core/manifest/load.ts";
import type { ResolvedManifest } from "../../../src/core/manifest/model.ts";
import { InputError } from "../../../src/core/problems.ts";

const NOW = new Date("2026-03-01T12:00:00Z");
const EXAMPLES = fileURLToPath(new URL("../../../examples/images/", import.meta.url));
const read = (name: string): string => readFileSync(join(EXAMPLES, name), "utf8");
const DES =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-keys/providers/Microsoft.Compute/diskEncryptionSets/des-sea";

describe("good manifests", () => {
  it("resolves the full example (every key) to the expected ResolvedManifest", () => {
    const manifest = loadManifest(read("full.image.yml"), "examples/images/full.image.yml", { now: NOW });
    const expected: ResolvedManifest = {
      file: "examples/images/full.image.yml",
      gallery: {
        subscription: "00000000-0000-0000-0000-000000000000",
        resourceGroup: "rg-images",
        name: "contosoGallery",
        location: "westeurope",
        create: true,
      },
      image: {
        name: "ubuntu-web",
        publisher: "Contoso",
        offer: "WebServer",
        sku: "ubuntu-24-gen2",
        osType: "Linux",
        osState: "Generalized",
        hyperVGeneration: "V2",
        architecture: "x64",
        securityType: "TrustedLaunchSupported",
        features: { IsAcceleratedNetworkSupported: "true", DiskControllerTypes: "SCSI,NVMe" },
        description: "Ubuntu 24.04 with nginx, hardened.",
        eula: "https://contoso.com/eula",
        privacyStatementUri: "https://contoso.com/privacy",
        releaseNoteUri: "https://contoso.com/images/ubuntu-web/notes",
        endOfLifeDate: "2099-12-31",
        recommended: { vCPUs: { min: 2, max: 16 }, memory: { min: 4, max: 64 } },
        disallowedDiskTypes: ["Standard_LRS"],
        purchasePlan: { publisher: "contoso", name: "web-2024", product: "ubuntu-web" },
        tags: { team: "platform", costCenter: "4711" },
      },
      version: {
        number: "1.4.0",
        bump: "minor",
        excludeFromLatest: false,
        endOfLife: { kind: "afterPublish", days: 180 },
        replicationMode: "Full",
        replicaCount: 2,
        storageAccountType: "Standard_ZRS",
        targetRegions: [
          { name: "westeurope", replicas: 2, storageAccountType: "Standard_ZRS" },
          { name: "eastus", replicas: 2, storageAccountType: "Standard_ZRS" },
          { name: "northeurope", replicas: 3, storageAccountType: "Standard_ZRS" },
          {
            name: "southeastasia",
            replicas: 3,
            storageAccountType: "Premium_LRS",
            encryption: { osDiskEncryptionSetId: DES, dataDisks: [{ lun: 0, diskEncryptionSetId: DES }] },
          },
        ],
        promote: "afterReplication",
      },
      disks: { os: "out/ubuntu-web.vhd", data: [{ lun: 0, path: "out/data0.vhd" }] },
      staging: {
        storageAccount: "contosoimages",
        resourceGroup: "rg-staging",
        container: "vhds",
        via: "snapshot",
        cleanup: true,
      },
      retention: { keep: 10 },
    };
    expect(manifest).toEqual(expected);
  });

  it("fills every default in the minimal example", () => {
    const manifest = loadManifest(read("minimal.image.yml"), "minimal.image.yml", { now: NOW });
    expect(manifest).toEqual({
      file: "minimal.image.yml",
      gallery: { resourceGroup: "rg-images", name: "contosoGallery", location: "westeurope", create: false },
      image: {
        name: "ubuntu-minimal",
        publisher: "Contoso",
        offer: "Minimal",
        sku: "ubuntu-24",
        osType: "Linux",
        osState: "Generalized",
        hyperVGeneration: "V1",
        architecture: "x64",
        features: {},
        disallowedDiskTypes: [],
        tags: {},
      },
      version: {
        number: "1.0.0",
        bump: "patch",
        excludeFromLatest: false,
        replicationMode: "Full",
        replicaCount: 1,
        storageAccountType: "Standard_LRS",
        targetRegions: [{ name: "westeurope", replicas: 1, storageAccountType: "Standard_LRS" }],
        promote: "immediate",
      },
      disks: { data: [] },
      staging: {
        storageAccount: "contosoimages",
        resourceGroup: "rg-images",
        container: "vhds",
        via: "snapshot",
        cleanup: true,
      },
    } satisfies ResolvedManifest);
  });

  it("keeps the source region where the manifest lists it, and normalises display names", () => {
    const text = read("minimal.image.yml").replace(
      "  number: 1.0.0\n",
      "  number: 1.0.0\n  targetRegions: [East US 2, WestEurope=3, { name: Sweden Central }]\n",
    );
    const manifest = loadManifest(text, "m.yml", { now: NOW });
    expect(manifest.version.targetRegions.map((r) => `${r.name}=${r.replicas}`)).toEqual([
      "eastus2=1",
      "westeurope=3",
      "swedencentral=1",
    ]);
  });

  it("implies V2 for Arm64 and Trusted Launch when hyperVGeneration is left out", () => {
    const base = read("minimal.image.yml");
    const arm = loadManifest(
      base.replace("  osType: Linux\n", "  osType: Linux\n  architecture: Arm64\n"),
      "a.yml",
    );
    expect(arm.image.hyperVGeneration).toBe("V2");
    const tl = loadManifest(
      base.replace("  osType: Linux\n", "  osType: Linux\n  securityType: TrustedLaunch\n"),
      "t.yml",
    );
    expect(tl.image.hyperVGeneration).toBe("V2");
  });

  it("accepts a manifest without version (all defaults, no version line)", () => {
    const text = read("minimal.image.yml").replace("version:\n  number: 1.0.0\n", "");
    const manifest = loadManifest(text, "m.yml");
    expect(manifest.version.number).toBeUndefined();
    expect(manifest.version.targetRegions).toEqual([
      { name: "westeurope", replicas: 1, storageAccountType: "Standard_LRS" },
    ]);
  });

  it("normalises disk paths", () => {
    const text = `${read("minimal.image.yml")}disks:\n  os: ./out//web.vhd\n  data: [{ lun: 2, path: 'out\\data.vhd' }]\n`;
    const manifest = loadManifest(text, "m.yml");
    expect(manifest.disks).toEqual({ os: "out/web.vhd", data: [{ lun: 2, path: "out/data.vhd" }] });
  });
});

describe("several problems in one file", () => {
  it("reports every problem at once, sorted by position, each with key and location", () => {
    const text = [
      "gallery:",
      "  resourceGroup: rg-images.", // 2: bad name
      "  name: contosoGallery",
      "  location: westeuropa", // 4: unknown region
      "  colour: blue", // 5: unknown key
      "image:",
      "  name: ubuntu-web",
      "  publisher: Contoso",
      "  offer: WebServer",
      "  sku: ubuntu-24",
      "  osType: linux", // 11: enum
      "version:",
      "  number: 01.2.3", // 13: bad version
      "  replicaCount: 0", // 14: out of range
      "  targetRegions:",
      "    - westus=1=Standard_ZRS", // 16: zrs
      "    - West US", // 17: duplicate
      "staging:",
      "  storageAccount: Contoso-Images", // 19: bad name
      "",
    ].join("\n");
    const result = checkManifest(text, "many.yml", { now: NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.location?.line} ${p.code} ${p.key}`)).toEqual([
      "2 manifest.bad-name gallery.resourceGroup",
      "4 manifest.unknown-region gallery.location",
      "5 manifest.unknown-key gallery.colour",
      "11 manifest.invalid-value image.osType",
      "13 manifest.bad-version version.number",
      "14 manifest.out-of-range version.replicaCount",
      "16 manifest.zrs-unsupported version.targetRegions[0]",
      "17 manifest.duplicate-region version.targetRegions[1]",
      "19 manifest.bad-name staging.storageAccount",
    ]);
    let thrown: unknown;
    try {
      loadManifest(text, "many.yml", { now: NOW });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).problems).toHaveLength(9);
    expect((thrown as InputError).message.split("\n")[0]).toMatch(
      /^many\.yml:2:18: `gallery\.resourceGroup`/,
    );
  });

  it("reports a schema problem and a rule problem in different sections together", () => {
    const text = read("minimal.image.yml")
      .replace(
        "  osType: Linux\n",
        "  osType: Linux\n  hyperVGeneration: V1\n  securityType: ConfidentialVM\n",
      )
      .replace("  number: 1.0.0\n", "  number: 1.0.0\n  bump: huge\n");
    const result = checkManifest(text, "two.yml");
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toEqual([
      "manifest.needs-gen2",
      "manifest.invalid-value",
    ]);
  });
});

describe("loadManifestFile", () => {
  const workspace = mkdtempSync(join(tmpdir(), "sig-manifest-"));

  it("names the file relative to the workspace in problems", async () => {
    writeFileSync(join(workspace, "bad.image.yml"), "gallery: [\n");
    await expect(loadManifestFile("bad.image.yml", { workspace })).rejects.toMatchObject({
      name: "InputError",
      problems: [{ code: "manifest.yaml-syntax", location: { file: "bad.image.yml" } }],
    });
  });

  it("loads a good file", async () => {
    writeFileSync(join(workspace, "good.image.yml"), read("minimal.image.yml"));
    const manifest = await loadManifestFile(join(workspace, "good.image.yml"), { workspace });
    expect(manifest.file).toBe("good.image.yml");
    expect(manifest.image.name).toBe("ubuntu-minimal");
  });

  it("reports a missing file as an InputError", async () => {
    await expect(loadManifestFile("images/nope.image.yml", { workspace })).rejects.toMatchObject({
      name: "InputError",
      problems: [{ code: "manifest.not-found", message: expect.stringContaining("images/nope.image.yml") }],
    });
  });
});
