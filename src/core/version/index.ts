export {
  MAX_VERSION_PART,
  bumpVersion,
  checkImageVersion,
  compareImageVersions,
  formatImageVersion,
  imageVersionsEqual,
  isImageVersion,
  parseImageVersion,
} from "./image-version.ts";
export type { ImageVersion, VersionCheck, VersionSource } from "./image-version.ts";
export { acceptedTagForms, versionFromReleaseTag, versionStringFromReleaseTag } from "./release-tag.ts";
export { FIRST_VERSION, chooseVersion } from "./choose.ts";
export type { ChooseVersionInput, ExistingVersion, VersionChoice, VersionReason } from "./choose.ts";
