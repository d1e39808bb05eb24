/**
 * How the emulator looks at blobs in Azurite: maps a source URI + storage account id to a known
 * account, reads the blob's properties and its last 512 bytes, and checks the VHD footer.
 */
import { BlobClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { ArmError, invalidParameter } from "./errors.ts";
import { normalizeRegion } from "./faults.ts";
import type { EmulatedStorageAccount } from "./types.ts";
import { checkFixedVhd, VHD_FOOTER_SIZE } from "./vhd.ts";

export interface InspectedBlob {
  readonly accountName: string;
  readonly region: string;
  /** Virtual size of the disk (blob length - 512). */
  readonly virtualSizeBytes: number;
}

const MIB = 1024 * 1024;
/** Largest managed disk Azure imports: 32 TiB. */
const MAX_VIRTUAL_SIZE = 32 * 1024 * 1024 * MIB;
const STORAGE_ACCOUNT_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)$/i;

export class BlobInspector {
  readonly #accounts: Map<string, EmulatedStorageAccount & { name: string }>;

  constructor(accounts: Readonly<Record<string, EmulatedStorageAccount>>) {
    this.#accounts = new Map(
      Object.entries(accounts).map(([name, a]) => [
        name.toLowerCase(),
        { ...a, name, region: normalizeRegion(a.region), blobEndpoint: a.blobEndpoint.replace(/\/+$/, "") },
      ]),
    );
  }

  /**
   * Checks that `sourceUri` names a page blob in the account `storageAccountId` names, in `region`,
   * holding a fixed VHD of an allowed size. Throws an ArmError (400) otherwise.
   */
  async inspect(
    sourceUri: unknown,
    storageAccountId: unknown,
    region: string,
    target: { uri: string; account: string },
  ): Promise<InspectedBlob> {
    if (typeof sourceUri !== "string" || sourceUri === "") {
      throw invalidParameter(`Required parameter '${target.uri}' is missing (null).`, target.uri);
    }
    if (typeof storageAccountId !== "string" || storageAccountId === "") {
      throw invalidParameter(
        `Required parameter '${target.account}' is missing (null): it must name the storage account holding '${sourceUri}'.`,
        target.account,
      );
    }
    const idMatch = STORAGE_ACCOUNT_ID.exec(storageAccountId);
    if (idMatch === null) {
      throw invalidParameter(
        `'${storageAccountId}' is not a valid storage account resource id.`,
        target.account,
      );
    }
    const accountName = (idMatch[1] ?? "").toLowerCase();
    const account = this.#accounts.get(accountName);
    if (account === undefined) {
      throw new ArmError(
        404,
        "StorageAccountNotFound",
        `The storage account '${idMatch[1]}' was not found.`,
        target.account,
      );
    }
    const blobUrl = this.#resolveBlobUrl(sourceUri, account);
    if (blobUrl === undefined) {
      throw invalidParameter(
        `The blob '${sourceUri}' is not in the storage account '${account.name}' named by '${target.account}'.`,
        target.uri,
      );
    }
    if (account.region !== normalizeRegion(region)) {
      throw invalidParameter(
        `The source blob '${sourceUri}' is in storage account '${account.name}' in region '${account.region}'; it must be in the same region as the resource ('${normalizeRegion(region)}').`,
        target.uri,
      );
    }
    const client = new BlobClient(blobUrl, new StorageSharedKeyCredential(account.name, account.accountKey));
    let length: number;
    let blobType: string | undefined;
    try {
      const props = await client.getProperties();
      length = props.contentLength ?? 0;
      blobType = props.blobType;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) {
        throw invalidParameter(`The source blob '${sourceUri}' does not exist.`, target.uri);
      }
      throw new ArmError(
        500,
        "InternalServerError",
        `The emulator could not read '${sourceUri}': ${(error as Error).message}`,
      );
    }
    if (blobType !== "PageBlob") {
      throw invalidParameter(
        `The source blob '${sourceUri}' is a ${blobType ?? "unknown"} blob; only page blobs can be imported.`,
        target.uri,
      );
    }
    let footer: Buffer = Buffer.alloc(0);
    if (length >= VHD_FOOTER_SIZE) {
      footer = await client.downloadToBuffer(length - VHD_FOOTER_SIZE, VHD_FOOTER_SIZE);
    }
    const check = checkFixedVhd(footer, length);
    if (!check.ok) throw new ArmError(400, "BadRequest", `${check.message} Blob: ${sourceUri}`, target.uri);
    const virtualSizeBytes = check.info.currentSize;
    if (virtualSizeBytes < MIB || virtualSizeBytes > MAX_VIRTUAL_SIZE) {
      throw new ArmError(
        400,
        "BadRequest",
        `The VHD's virtual size ${virtualSizeBytes} bytes is outside the allowed range (1 MiB to 32 TiB). Blob: ${sourceUri}`,
        target.uri,
      );
    }
    return { accountName: account.name, region: account.region, virtualSizeBytes };
  }

  #resolveBlobUrl(sourceUri: string, account: EmulatedStorageAccount & { name: string }): string | undefined {
    const withoutQuery = sourceUri.split("?")[0] ?? sourceUri;
    if (withoutQuery.toLowerCase().startsWith(`${account.blobEndpoint.toLowerCase()}/`)) return withoutQuery;
    let url: URL;
    try {
      url = new URL(withoutQuery);
    } catch {
      return undefined;
    }
    // Public-cloud form https://<account>.blob.core.windows.net/<container>/<blob> maps onto Azurite.
    const host = url.hostname.toLowerCase();
    if (host === `${account.name.toLowerCase()}.blob.core.windows.net`) {
      return `${account.blobEndpoint}${url.pathname}`;
    }
    return undefined;
  }
}
