/**
 * Deterministic names of everything a publish creates on its way to the image version, so that a
 * re-run finds what an earlier run left (PRODUCT §4 "resume"). The engine and the plan both use
 * `intermediateNames`; nothing else should invent these names.
 *
 *   blob      <container>/<image>/<version>/os.vhd, …/lun-0.vhd
 *   disk      <image>-<version>-os, <image>-<version>-lun-0        (staging resource group)
 *   snapshot  <image>-<version>-os-snapshot, …-lun-0-snapshot     (staging resource group)
 *   lock      <container>/locks/<gallery>/<image>.lock            (a leased blob)
 *
 * Managed disk and snapshot names are limited to 80 characters: longer ones keep their suffix and
 * replace the end of the image name by a short hash of the full name.
 */
import { createHash } from "node:crypto";
import type { ResolvedManifest } from "../manifest/model.ts";

export const MAX_DISK_NAME = 80;

export interface DiskRef {
  readonly role: "os" | "data";
  readonly lun?: number;
}

export interface DiskNames {
  /** `os` or `lun-<N>`: the key used in step ids and blob names. */
  readonly key: string;
  readonly role: "os" | "data";
  readonly lun?: number;
  /** Blob name inside the container: `<image>/<version>/<key>.vhd`. */
  readonly blobName: string;
  /** `<container>/<blobName>`, as shown to users. */
  readonly blobPath: string;
  readonly diskName: string;
  readonly snapshotName: string;
}

export interface IntermediateNames {
  readonly resourceGroup: string;
  readonly storageAccount: string;
  readonly container: string;
  /** Blob name (inside the container) of the per-image publish lock. */
  readonly lockBlob: string;
  readonly disks: readonly DiskNames[];
}

export function diskKey(disk: DiskRef): string {
  return disk.role === "os" ? "os" : `lun-${disk.lun ?? 0}`;
}

/** The disks a manifest publishes: the OS disk (always; the `vhd` input may supply it) and its data disks. */
export function manifestDisks(manifest: ResolvedManifest): DiskRef[] {
  return [
    { role: "os" },
    ...[...manifest.disks.data]
      .sort((a, b) => a.lun - b.lun)
      .map((d) => ({ role: "data" as const, lun: d.lun })),
  ];
}

function fitName(stem: string, suffix: string): string {
  const full = `${stem}${suffix}`;
  if (full.length <= MAX_DISK_NAME) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  const room = MAX_DISK_NAME - suffix.length - hash.length - 1;
  const head = stem.slice(0, Math.max(1, room)).replace(/[-._]+$/, "");
  return `${head}-${hash}${suffix}`;
}

export function intermediateNames(
  manifest: ResolvedManifest,
  version: string,
  disks: readonly DiskRef[] = manifestDisks(manifest),
): IntermediateNames {
  const image = manifest.image.name;
  const container = manifest.staging.container;
  return {
    resourceGroup: manifest.staging.resourceGroup,
    storageAccount: manifest.staging.storageAccount,
    container,
    lockBlob: `locks/${manifest.gallery.name}/${image}.lock`,
    disks: disks.map((disk) => {
      const key = diskKey(disk);
      const blobName = `${image}/${version}/${key}.vhd`;
      const stem = `${image}-${version}`;
      return {
        key,
        role: disk.role,
        ...(disk.role === "data" ? { lun: disk.lun ?? 0 } : {}),
        blobName,
        blobPath: `${container}/${blobName}`,
        diskName: fitName(stem, `-${key}`),
        snapshotName: fitName(stem, `-${key}-snapshot`),
      };
    }),
  };
}
