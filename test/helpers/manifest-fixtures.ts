/**
 * Hand-built ResolvedManifest fixtures for unit tests (no loader involved). `makeManifest()` gives a
 * complete, valid manifest mirroring PRODUCT §2's example; each section can be overridden shallowly:
 *
 *   makeManifest({ image: { securityType: "ConfidentialVM" }, staging: { via: "blob" }, retention: { keep: 3 } })
 *
 * Pass `retention: null` to drop retention. Arrays/records given in overrides replace the defaults.
 */
import type {
  ResolvedDisks,
  ResolvedGallery,
  ResolvedImageDefinition,
  ResolvedManifest,
  ResolvedStaging,
  ResolvedTargetRegion,
  ResolvedVersionPolicy,
} from "../../src/core/manifest/model.ts";

export interface ManifestOverrides {
  readonly file?: string;
  readonly gallery?: Partial<ResolvedGallery>;
  readonly image?: Partial<ResolvedImageDefinition>;
  readonly version?: Partial<ResolvedVersionPolicy>;
  readonly disks?: Partial<ResolvedDisks>;
  readonly staging?: Partial<ResolvedStaging>;
  /** `null` removes retention; undefined keeps the default (none). */
  readonly retention?: { readonly keep: number } | null;
}

export const FIXTURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

export function region(
  name: string,
  replicas = 1,
  storageAccountType: ResolvedTargetRegion["storageAccountType"] = "Standard_LRS",
): ResolvedTargetRegion {
  return { name, replicas, storageAccountType };
}

export function baseManifest(): ResolvedManifest {
  return {
    file: "images/ubuntu-web.image.yml",
    gallery: {
      subscription: FIXTURE_SUBSCRIPTION,
      resourceGroup: "rg-images",
      name: "contosoGallery",
      location: "westeurope",
      create: false,
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
      description: "Ubuntu 24.04 web server",
      recommended: { vCPUs: { min: 2, max: 16 }, memory: { min: 4, max: 64 } },
      disallowedDiskTypes: ["Standard_LRS"],
      tags: { team: "platform" },
    },
    version: {
      number: "1.4.0",
      bump: "patch",
      excludeFromLatest: false,
      endOfLife: { kind: "date", date: "2027-06-01" },
      replicationMode: "Full",
      replicaCount: 1,
      storageAccountType: "Standard_LRS",
      targetRegions: [
        region("westeurope"),
        region("eastus", 2, "Standard_ZRS"),
        region("southeastasia", 3, "Premium_LRS"),
      ],
      promote: "afterReplication",
    },
    disks: { os: "out/ubuntu-web.vhd", data: [] },
    staging: {
      storageAccount: "contosoimages",
      resourceGroup: "rg-images",
      container: "vhds",
      via: "blob",
      cleanup: true,
    },
  };
}

export function makeManifest(overrides: ManifestOverrides = {}): ResolvedManifest {
  const base = baseManifest();
  const { retention, ...rest } = overrides;
  const manifest: ResolvedManifest = {
    file: rest.file ?? base.file,
    gallery: { ...base.gallery, ...rest.gallery },
    image: { ...base.image, ...rest.image },
    version: { ...base.version, ...rest.version },
    disks: { ...base.disks, ...rest.disks },
    staging: { ...base.staging, ...rest.staging },
  };
  if (retention === null || retention === undefined) return manifest;
  return { ...manifest, retention };
}
