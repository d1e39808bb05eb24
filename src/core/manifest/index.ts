/** The image manifest: schema, loader, validation, Azure naming rules, regions, write-back. */
export type * from "./model.ts";
export { checkManifest, loadManifest, loadManifestFile, MANIFEST_DEFAULTS } from "./load.ts";
export type { LoadFileOptions, LoadOptions, ManifestResult } from "./load.ts";
export { updateManifestVersion } from "./write-back.ts";
export {
  canonicalRegionKey,
  findRegion,
  listRegions,
  normalizeRegion,
  regionSupportsZones,
  suggestRegions,
} from "./regions.ts";
export type { AzureRegion } from "./regions.ts";
export { formatRegionShorthand, parseRegionShorthand } from "./rules.ts";
export type { ShorthandResult } from "./rules.ts";
export {
  CONTAINER_NAME,
  GALLERY_NAME,
  IMAGE_DEFINITION_NAME,
  IMAGE_IDENTIFIER,
  RESOURCE_GROUP_NAME,
  STORAGE_ACCOUNT_NAME,
  SUBSCRIPTION_ID,
  checkVersionNumber,
} from "./naming.ts";
export type { NamingRule } from "./naming.ts";
export { ManifestSchema, SCHEMA_ID, manifestJsonSchema } from "./schema.ts";
export type { RawManifest } from "./schema.ts";
