import type { ContainerClient } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import { AzureGalleryReader } from "../../../src/adapters/azure/gallery-reader.ts";
import type { ComputeGateway } from "../../../src/engine/ports.ts";
import { makeManifest } from "../../helpers/manifest-fixtures.ts";

/** A gateway where nothing exists: every read answers "not found". */
const empty = new Proxy({} as ComputeGateway, {
  get: (_target, name) => async () => (String(name).startsWith("list") ? [] : undefined),
});

function container(blobs: Record<string, Record<string, string>>, exists = true): ContainerClient {
  return {
    containerName: "vhds",
    exists: async () => exists,
    getBlobClient: (name: string) => ({
      exists: async () => name in blobs,
      getProperties: async () => ({ metadata: blobs[name] }),
    }),
  } as unknown as ContainerClient;
}

describe("AzureGalleryReader", () => {
  const status = (m: Readonly<Record<string, string>>) => ({
    complete: m["state"] === "complete",
    digest: m["digest"],
  });

  it("reads the staging container even when the gallery does not exist yet", async () => {
    const manifest = makeManifest();
    const reader = new AzureGalleryReader({
      compute: empty,
      container: container({
        [`${manifest.image.name}/1.0.0/os.vhd`]: { state: "complete", digest: "sha256-p4m:ab" },
      }),
      blobStatus: status,
      warn: () => {},
    });
    const facts = await reader.read(manifest, { version: "1.0.0" });
    expect(facts.gallery.exists).toBe(false);
    expect(facts.stagingContainerExists).toBe(true);
    expect(facts.existingBlobs).toEqual([
      { path: `${manifest.image.name}/1.0.0/os.vhd`, complete: true, digest: "sha256-p4m:ab" },
    ]);
  });

  it("says the container is missing rather than unknown", async () => {
    const reader = new AzureGalleryReader({
      compute: empty,
      container: container({}, false),
      blobStatus: status,
      warn: () => {},
    });
    const facts = await reader.read(makeManifest(), { version: "1.0.0" });
    expect(facts.stagingContainerExists).toBe(false);
  });

  it("reads the gallery, definition and versions once for both reads of one run", async () => {
    const calls: string[] = [];
    const counting = new Proxy({} as ComputeGateway, {
      get: (_target, name) => async () => {
        calls.push(String(name));
        return String(name).startsWith("list") ? [] : undefined;
      },
    });
    const reader = new AzureGalleryReader({
      compute: counting,
      container: container({}),
      blobStatus: status,
      warn: () => {},
    });
    const manifest = makeManifest();
    await reader.read(manifest);
    await reader.read(manifest, { version: "1.0.1" });
    expect(calls.filter((c) => c === "getGallery")).toHaveLength(1);
  });
});
