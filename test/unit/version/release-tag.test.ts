import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/problems.ts";
import {
  MAX_VERSION_PART,
  formatImageVersion,
  versionFromReleaseTag,
  versionStringFromReleaseTag,
} from "../../../src/core/version/index.ts";

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("versionFromReleaseTag", () => {
  it.each([
    ["v1.2.3", "1.2.3"],
    ["1.2.3", "1.2.3"],
    ["ubuntu-web/v1.5.0", "1.5.0"],
    ["ubuntu-web/1.5.0", "1.5.0"],
    ["Ubuntu-Web/v1.5.0", "1.5.0"],
    ["refs/tags/v2.0.0", "2.0.0"],
    ["refs/tags/ubuntu-web/v0.0.1", "0.0.1"],
    [" v1.2.3\n", "1.2.3"],
    ["v2147483647.0.0", "2147483647.0.0"],
  ])("%j → %s", (tag, expected) => {
    expect(versionStringFromReleaseTag(tag, "ubuntu-web")).toBe(expected);
  });

  it.each([
    [
      "windows-base/v1.2.3",
      "version.tag-other-image",
      'is for "windows-base", not for the image "ubuntu-web"',
    ],
    ["images/ubuntu-web/v1.2.3", "version.tag-other-image", 'is for "images/ubuntu-web"'],
    ["/v1.2.3", "version.tag-other-image", 'is for ""'],
    ["v1.2.3-rc1", "version.tag-invalid", 'pre-release suffix "-rc1"'],
    ["release-2024", "version.tag-invalid", "has 1 part"],
    ["v1.2", "version.tag-invalid", "has 2 parts"],
    ["v01.2.3", "version.tag-invalid", "leading zero"],
    ["ubuntu-web/v1.2.3.4", "version.tag-invalid", "has 4 parts"],
    ["vv1.2.3", "version.tag-invalid", "not a whole number"],
    ["v2147483648.0.0", "version.tag-invalid", "larger than 2147483647"],
    ["ubuntu-web/", "version.tag-invalid", "is empty"],
    ["", "version.tag-invalid", "is empty"],
  ])("rejects %j (%s)", (tag, code, text) => {
    const error = errorOf(() => versionFromReleaseTag(tag, "ubuntu-web"));
    const problem = error.problems[0];
    expect(problem?.code).toBe(code);
    expect(problem?.message).toContain(`"${tag}"`);
    expect(problem?.message).toContain(text);
    expect(problem?.fix).toContain("v1.2.3, 1.2.3, ubuntu-web/v1.2.3 or ubuntu-web/1.2.3");
  });

  it("accepts every valid version in every form", () => {
    const part = fc.integer({ min: 0, max: MAX_VERSION_PART });
    fc.assert(
      fc.property(
        fc.record({ major: part, minor: part, patch: part }),
        fc.constantFrom("", "refs/tags/"),
        fc.constantFrom("", "img/"),
        fc.constantFrom("", "v"),
        (version, ref, image, v) => {
          const text = formatImageVersion(version);
          expect(versionFromReleaseTag(`${ref}${image}${v}${text}`, "img")).toEqual(version);
        },
      ),
    );
  });
});
