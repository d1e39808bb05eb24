/** Shared bits of the upload tests: a container on Azurite and targets/clients for blobs in it. */
import { BlobServiceClient, StorageSharedKeyCredential, type PageBlobClient } from "@azure/storage-blob";
import { AzurePageBlobTarget } from "../../../src/adapters/azure/page-blob.ts";
import type { AzuriteServer } from "../../harness/azurite.ts";

export interface BlobSite {
  readonly credential: StorageSharedKeyCredential;
  url(name: string): string;
  target(name: string): AzurePageBlobTarget;
  client(name: string): PageBlobClient;
  download(name: string): Promise<Buffer>;
}

export async function blobSite(azurite: AzuriteServer, container: string): Promise<BlobSite> {
  const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
  const service = new BlobServiceClient(azurite.blobEndpoint, credential);
  const c = service.getContainerClient(container);
  await c.createIfNotExists();
  const site: BlobSite = {
    credential,
    url: (name) => `${c.url}/${name}`,
    target: (name) => new AzurePageBlobTarget(site.url(name), credential),
    client: (name) => c.getPageBlobClient(name),
    download: async (name) => await c.getPageBlobClient(name).downloadToBuffer(),
  };
  return site;
}
