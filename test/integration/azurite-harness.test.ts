import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteServer } from "../harness/azurite.ts";

describe("Azurite harness", () => {
  let azurite: AzuriteServer;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite.stop();
  });

  it("serves page blobs to the real storage SDK", async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = service.getContainerClient("harness");
    await container.create();
    const blob = container.getPageBlobClient("probe.vhd");
    await blob.create(1024 * 1024);
    const page = Buffer.alloc(512, 7);
    await blob.uploadPages(page, 512, 512);
    const ranges = await blob.getPageRanges();
    // storage-blob 12.34 reports ranges as { offset, count } with count = last byte - offset
    // (one 512-byte page reads as count 511): callers must add 1.
    expect(ranges.pageRange).toEqual([{ offset: 512, count: 511 }]);
  });
});
