import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadManifest } from "../../../src/core/manifest/load.ts";
import { updateManifestVersion } from "../../../src/core/manifest/write-back.ts";
import { InputError } from "../../../src/core/problems.ts";

const full = readFileSync(
  fileURLToPath(new URL("../../../examples/images/full.image.yml", import.meta.url)),
  "utf8",
);

/** Asserts that `after` differs from `before` only on one line, and returns [old line, new line]. */
function changedLines(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  const changes: [string, string][] = [];
  if (a.length === b.length) {
    a.forEach((line, index) => {
      if (line !== b[index]) changes.push([line, b[index] ?? ""]);
    });
  }
  return changes;
}

describe("updateManifestVersion", () => {
  it("replaces only the version.number scalar, keeping comments and layout", () => {
    const after = updateManifestVersion(full, "1.5.0");
    expect(changedLines(full, after)).toEqual([
      ["  number: 1.4.0 # the version line", "  number: 1.5.0 # the version line"],
    ]);
    expect(after.length).toBe(full.length);
    expect(loadManifest(after, "f.yml").version.number).toBe("1.5.0");
  });

  it("keeps the quote style", () => {
    expect(updateManifestVersion('version:\n  number: "1.0.0"\n', "2.0.0")).toBe(
      'version:\n  number: "2.0.0"\n',
    );
    expect(updateManifestVersion("version:\n  number: '1.0.0'\n", "2.0.0")).toBe(
      "version:\n  number: '2.0.0'\n",
    );
    expect(updateManifestVersion("version: { number: 1.0.0, bump: minor }\n", "1.1.0")).toBe(
      "version: { number: 1.1.0, bump: minor }\n",
    );
  });

  it("does not touch other keys called number", () => {
    const text = "image:\n  number: 1.0.0\nversion:\n  number: 1.0.0 # here\n";
    expect(updateManifestVersion(text, "3.2.1")).toBe(
      "image:\n  number: 1.0.0\nversion:\n  number: 3.2.1 # here\n",
    );
  });

  it("keeps CRLF line endings and a BOM", () => {
    const text = "\uFEFFgallery:\r\n  name: g\r\nversion:\r\n  number: 1.0.0\r\n  bump: patch\r\n";
    expect(updateManifestVersion(text, "1.0.1")).toBe(
      "\uFEFFgallery:\r\n  name: g\r\nversion:\r\n  number: 1.0.1\r\n  bump: patch\r\n",
    );
  });

  it("inserts number as the first key of an existing block mapping, with its indentation", () => {
    const text = "version:\n    # replicas\n    replicaCount: 2\nstaging: {}\n";
    expect(updateManifestVersion(text, "1.0.0")).toBe(
      "version:\n    # replicas\n    number: 1.0.0\n    replicaCount: 2\nstaging: {}\n",
    );
  });

  it("inserts into a flow mapping, an empty value, or adds the section", () => {
    expect(updateManifestVersion("version: { bump: minor }\n", "1.0.0")).toBe(
      "version: { number: 1.0.0, bump: minor }\n",
    );
    expect(updateManifestVersion("version: {}\n", "1.0.0")).toBe("version: { number: 1.0.0 }\n");
    expect(updateManifestVersion("version: # soon\nstaging: {}\n", "1.0.0")).toBe(
      "version: # soon\n  number: 1.0.0\nstaging: {}\n",
    );
    expect(updateManifestVersion("gallery: {}", "1.0.0")).toBe("gallery: {}\nversion:\n  number: 1.0.0\n");
    expect(updateManifestVersion("version:\n  number:\n  bump: minor\n", "1.0.0")).toBe(
      "version:\n  number: 1.0.0\n  bump: minor\n",
    );
  });

  it("refuses an invalid version or an unparsable manifest", () => {
    expect(() => updateManifestVersion(full, "1.4")).toThrow(InputError);
    expect(() => updateManifestVersion("version: [\n", "1.0.0")).toThrow(InputError);
    expect(() => updateManifestVersion("version: 1.0.0\n", "1.0.1")).toThrow(InputError);
  });
});
