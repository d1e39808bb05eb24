/** Pure disk-image handling: recognise, validate, read as a fixed VHD, and digest. */
export { VhdError, type VhdErrorCode } from "./errors.ts";
export {
  FOOTER_SIZE,
  MIB,
  SECTOR,
  buildFixedFooter,
  chsGeometry,
  footerChecksum,
  parseFooter,
  type Geometry,
  type VhdFooter,
} from "./footer.ts";
export {
  MAX_VIRTUAL_SIZE_MANAGED_DISK,
  MAX_VIRTUAL_SIZE_PAGE_BLOB,
  MIN_VIRTUAL_SIZE,
  PAGE_BLOB_LIMIT,
  inspectVhd,
  type DynamicFacts,
  type InspectOptions,
  type VhdFacts,
  type VhdFormat,
  type VhdLimit,
} from "./inspect.ts";
export {
  CHUNK_SIZE,
  digestDisk,
  digestVhd,
  openLogicalDisk,
  type DigestResult,
  type LogicalDisk,
  type ReadKind,
} from "./reader.ts";
export {
  DIGEST_PAGE_SIZE,
  DIGEST_PREFIX,
  DigestChain,
  isDigest,
  pageHash,
  zeroPageHash4M,
} from "./digest.ts";
