/**
 * The staging storage account: clients, blob URLs and the account's resource ID.
 * Authentication: the same Entra credential as ARM (role Storage Blob Data Contributor on the
 * account), or a shared key from AZURE_STORAGE_KEY (the variable the Azure CLI also reads), which
 * is what Azurite needs. Containers are created private (no anonymous access).
 */
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/core-auth";
import type { ResolvedStaging } from "../../core/manifest/model.ts";

export interface StagingAccess {
  readonly credential?: TokenCredential;
  /** Shared key of the staging account (AZURE_STORAGE_KEY); preferred over the credential when set. */
  readonly accountKey?: string;
  /**
   * Blob endpoint of the account. `{account}` is replaced by the account name, so
   * `https://{account}.blob.core.usgovcloudapi.net` serves other clouds; Azurite is
   * `http://127.0.0.1:10000/devstoreaccount1`. Default: the public cloud.
   */
  readonly blobEndpoint?: string;
}

export function stagingBlobEndpoint(account: string, endpoint: string | undefined): string {
  const template = endpoint ?? "https://{account}.blob.core.windows.net";
  return template.replaceAll("{account}", account).replace(/\/+$/, "");
}

export function stagingService(staging: ResolvedStaging, access: StagingAccess): BlobServiceClient {
  const url = stagingBlobEndpoint(staging.storageAccount, access.blobEndpoint);
  const retryOptions = { maxTries: 6, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 };
  if (access.accountKey !== undefined && access.accountKey !== "") {
    return new BlobServiceClient(
      url,
      new StorageSharedKeyCredential(staging.storageAccount, access.accountKey),
      {
        retryOptions,
      },
    );
  }
  if (access.credential === undefined) {
    throw new Error(
      "No credential for the staging storage account (neither an Entra credential nor AZURE_STORAGE_KEY).",
    );
  }
  return new BlobServiceClient(url, access.credential, { retryOptions });
}

export function stagingContainer(staging: ResolvedStaging, access: StagingAccess): ContainerClient {
  return stagingService(staging, access).getContainerClient(staging.container);
}

/** Creates the container if missing, always private. Returns true when it was created. */
export async function ensurePrivateContainer(container: ContainerClient): Promise<boolean> {
  const result = await container.createIfNotExists();
  return result.succeeded;
}

export function storageAccountId(subscriptionId: string, staging: ResolvedStaging): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${staging.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${staging.storageAccount}`;
}
