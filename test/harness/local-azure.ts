/**
 * Local Azure for tests and `npm run demo`: Azurite (blob) + the ARM Compute emulator, wired so the
 * emulator can read Azurite's blobs (disk Import, blob-sourced image versions). Plain Node 24 can
 * import this file (no vitest imports).
 *
 *   const local = await startLocalAzure();
 *   local.env            // NODE_EXTRA_CA_CERTS, SIG_PUBLISH_ARM_ENDPOINT, SIG_PUBLISH_BLOB_ENDPOINT, …
 *   local.arm.faults / local.arm.state / local.arm.trafficFile
 *   local.storageAccountId   // /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/devstoreaccount1
 *   await local.stop();
 */
import { startArmEmulator, type ArmEmulator } from "../emulator/index.ts";
import type { ArmEmulatorOptions } from "../emulator/types.ts";
import { startAzurite, type AzuriteServer } from "./azurite.ts";

export interface LocalAzureOptions {
  /** Region of the Azurite storage account (default westeurope). */
  readonly storageRegion?: string;
  /** Subscription/resource group used to build storageAccountId (any value works with the emulator). */
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  /** Passed to the emulator (storageAccounts is filled in from Azurite). */
  readonly arm?: Omit<ArmEmulatorOptions, "storageAccounts">;
}

export interface LocalAzure {
  readonly azurite: AzuriteServer;
  readonly arm: ArmEmulator;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly storageAccountName: string;
  readonly storageRegion: string;
  /** ARM id of the Azurite account, for creationData.storageAccountId / source.storageAccountId. */
  readonly storageAccountId: string;
  /** Environment a child process (CLI, demo) needs to reach both: NODE_EXTRA_CA_CERTS, SIG_PUBLISH_ARM_ENDPOINT, SIG_PUBLISH_BLOB_ENDPOINT. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export const LOCAL_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";

export async function startLocalAzure(options: LocalAzureOptions = {}): Promise<LocalAzure> {
  const storageRegion = options.storageRegion ?? "westeurope";
  const subscriptionId = options.subscriptionId ?? LOCAL_SUBSCRIPTION_ID;
  const resourceGroup = options.resourceGroup ?? "rg-images";
  const azurite = await startAzurite();
  let arm: ArmEmulator;
  try {
    arm = await startArmEmulator({
      ...options.arm,
      storageAccounts: {
        [azurite.accountName]: {
          region: storageRegion,
          blobEndpoint: azurite.blobEndpoint,
          accountKey: azurite.accountKey,
        },
      },
    });
  } catch (error) {
    await azurite.stop();
    throw error;
  }
  const storageAccountId = arm.storageAccountId(subscriptionId, resourceGroup, azurite.accountName);
  return {
    azurite,
    arm,
    subscriptionId,
    resourceGroup,
    storageAccountName: azurite.accountName,
    storageRegion,
    storageAccountId,
    env: {
      NODE_EXTRA_CA_CERTS: arm.caCertPath,
      SIG_PUBLISH_ARM_ENDPOINT: arm.endpoint,
      SIG_PUBLISH_BLOB_ENDPOINT: azurite.blobEndpoint,
    },
    stop: async () => {
      await Promise.allSettled([arm.stop(), azurite.stop()]);
    },
  };
}
