/** Shared helpers for the emulator's integration tests (real @azure/arm-compute against it). */
import { ComputeManagementClient } from "@azure/arm-compute";
import { BlobServiceClient } from "@azure/storage-blob";
import type { LocalAzure } from "../../harness/local-azure.ts";

export const MIB = 1024 * 1024;

export function staticCredential(): {
  getToken: () => Promise<{ token: string; expiresOnTimestamp: number }>;
} {
  return { getToken: async () => ({ token: "x", expiresOnTimestamp: Date.now() + 3600e3 }) };
}

export function computeClient(local: LocalAzure, retry?: { maxRetries?: number }): ComputeManagementClient {
  return new ComputeManagementClient(staticCredential(), local.subscriptionId, {
    endpoint: local.arm.endpoint,
    ...(retry === undefined ? {} : { retryOptions: retry }),
  });
}

export interface FooterOptions {
  readonly cookie?: string;
  readonly diskType?: number;
  readonly badChecksum?: boolean;
  /** currentSize written in the footer (default: the real virtual size). */
  readonly currentSize?: number;
}

/** A fixed-VHD footer (512 bytes) for a disk of `virtualSize` bytes. */
export function vhdFooter(virtualSize: number, o: FooterOptions = {}): Buffer {
  const f = Buffer.alloc(512);
  f.write(o.cookie ?? "conectix", 0, "latin1");
  f.writeUInt32BE(2, 8);
  f.writeUInt32BE(0x00010000, 12);
  f.writeBigUInt64BE(0xffffffffffffffffn, 16);
  f.writeBigUInt64BE(BigInt(o.currentSize ?? virtualSize), 40);
  f.writeBigUInt64BE(BigInt(o.currentSize ?? virtualSize), 48);
  f.writeUInt32BE(o.diskType ?? 2, 60);
  let sum = 0;
  for (const b of f) sum += b;
  f.writeUInt32BE((~sum >>> 0) + (o.badChecksum === true ? 1 : 0), 64);
  return f;
}

/**
 * Writes a page blob of `virtualSize + 512` bytes holding only the footer (the rest reads as zeros)
 * and returns its URL. `virtualSize` must be a multiple of 512 for a page blob.
 */
export async function putVhdBlob(
  local: LocalAzure,
  name: string,
  virtualSize = MIB,
  footer: FooterOptions = {},
  container = "vhds",
): Promise<string> {
  const service = BlobServiceClient.fromConnectionString(local.azurite.connectionString);
  const c = service.getContainerClient(container);
  await c.createIfNotExists();
  const blob = c.getPageBlobClient(name);
  await blob.create(virtualSize + 512);
  await blob.uploadPages(vhdFooter(virtualSize, footer), virtualSize, 512);
  return blob.url;
}

export async function putBlockBlob(local: LocalAzure, name: string, container = "vhds"): Promise<string> {
  const service = BlobServiceClient.fromConnectionString(local.azurite.connectionString);
  const c = service.getContainerClient(container);
  await c.createIfNotExists();
  const blob = c.getBlockBlobClient(name);
  await blob.upload(vhdFooter(0), 512);
  return blob.url;
}

/** Runs `fn`, expects a RestError, returns { status, code, message }. */
export async function armError(
  fn: () => Promise<unknown>,
): Promise<{ status: number; code: string; message: string }> {
  try {
    await fn();
  } catch (error) {
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === "number") {
      return { status: e.statusCode, code: e.code ?? "", message: e.message ?? "" };
    }
    throw error;
  }
  throw new Error("expected the call to fail");
}

export const POLL = { updateIntervalInMs: 100 } as const;

export const LINUX_IMAGE = {
  location: "westeurope",
  osType: "Linux",
  osState: "Generalized",
  hyperVGeneration: "V2",
  architecture: "x64",
  identifier: { publisher: "Contoso", offer: "WebServer", sku: "ubuntu-24-gen2" },
} as const;

/** Gallery + image definition (+ features) ready for versions. */
export async function galleryWithImage(
  client: ComputeManagementClient,
  rg: string,
  gallery: string,
  image: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await client.galleries.beginCreateOrUpdateAndWait(rg, gallery, { location: "westeurope" }, POLL);
  await client.galleryImages.beginCreateOrUpdateAndWait(
    rg,
    gallery,
    image,
    {
      ...LINUX_IMAGE,
      identifier: { ...LINUX_IMAGE.identifier, sku: `${image}-sku` },
      ...extra,
    } as never,
    POLL,
  );
}

/** Disk (Import from a fresh VHD blob) → snapshot (Copy); returns the snapshot id. */
export async function snapshotFromNewVhd(
  client: ComputeManagementClient,
  local: LocalAzure,
  name: string,
  virtualSize = MIB,
): Promise<string> {
  const uri = await putVhdBlob(local, `${name}.vhd`, virtualSize);
  const disk = await client.disks.beginCreateOrUpdateAndWait(
    local.resourceGroup,
    `disk-${name}`,
    {
      location: "westeurope",
      osType: "Linux",
      hyperVGeneration: "V2",
      creationData: { createOption: "Import", sourceUri: uri, storageAccountId: local.storageAccountId },
    } as never,
    POLL,
  );
  const snap = await client.snapshots.beginCreateOrUpdateAndWait(
    local.resourceGroup,
    `snap-${name}`,
    { location: "westeurope", creationData: { createOption: "Copy", sourceResourceId: disk.id } } as never,
    POLL,
  );
  return snap.id ?? "";
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
