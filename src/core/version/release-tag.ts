/**
 * Release tags → image versions (PRODUCT §1, §3).
 *
 * Accepted forms, for an image definition named `ubuntu-web`:
 *   - `v1.2.3`
 *   - `1.2.3`
 *   - `ubuntu-web/v1.2.3` and `ubuntu-web/1.2.3` (one repository, several images)
 * each optionally prefixed with `refs/tags/` (as in `GITHUB_REF`). The image prefix is compared
 * case-insensitively, like Azure resource names. The version part follows the rules of
 * {@link parseImageVersion}: no leading zeros, no `-rc1` suffix, parts up to 2147483647.
 */
import { InputError } from "../problems.ts";
import { checkImageVersion, formatImageVersion } from "./image-version.ts";
import type { ImageVersion } from "./image-version.ts";

export function acceptedTagForms(imageName: string): string {
  return `v1.2.3, 1.2.3, ${imageName}/v1.2.3 or ${imageName}/1.2.3`;
}

/** Parses a release tag for the image `imageName`. Throws InputError (`version.tag-*`) otherwise. */
export function versionFromReleaseTag(tag: string, imageName: string): ImageVersion {
  const original = tag;
  let rest = tag.trim();
  if (rest.startsWith("refs/tags/")) rest = rest.slice("refs/tags/".length);
  const forms = acceptedTagForms(imageName);

  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    const prefix = rest.slice(0, slash);
    if (prefix.toLowerCase() !== imageName.toLowerCase()) {
      throw new InputError({
        code: "version.tag-other-image",
        message: `Release tag "${original}" is for "${prefix}", not for the image "${imageName}" this manifest publishes.`,
        fix: `Tag the release ${imageName}/v1.2.3 (or v1.2.3 when the repository holds one image); accepted forms: ${forms}.`,
      });
    }
    rest = rest.slice(slash + 1);
  }

  const versionText = /^v\d/.test(rest) ? rest.slice(1) : rest;
  const check = checkImageVersion(versionText);
  if (!check.ok) {
    throw new InputError({
      code: "version.tag-invalid",
      message: `Release tag "${original}" does not name an image version: "${versionText}" ${check.reason}.`,
      fix: `Tag releases as ${forms} (MAJOR.MINOR.PATCH, no leading zeros, no suffix); ${check.fix}.`,
    });
  }
  return check.version;
}

/** Same as {@link versionFromReleaseTag}, formatted. */
export function versionStringFromReleaseTag(tag: string, imageName: string): string {
  return formatImageVersion(versionFromReleaseTag(tag, imageName));
}
