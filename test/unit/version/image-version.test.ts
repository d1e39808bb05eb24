import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/problems.ts";
import {
  MAX_VERSION_PART,
  bumpVersion,
  checkImageVersion,
  compareImageVersions,
  formatImageVersion,
  isImageVersion,
  parseImageVersion,
} from "../../../src/core/version/index.ts";
import type { ImageVersion } from "../../../src/core/version/index.ts";

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

const part = fc.integer({ min: 0, max: MAX_VERSION_PART });
const versionArb: fc.Arbitrary<ImageVersion> = fc.record({ major: part, minor: part, patch: part });

describe("parseImageVersion", () => {
  it.each([
    ["0.0.0", { major: 0, minor: 0, patch: 0 }],
    ["1.2.3", { major: 1, minor: 2, patch: 3 }],
    ["10.20.30", { major: 10, minor: 20, patch: 30 }],
    [
      "2147483647.2147483647.2147483647",
      { major: MAX_VERSION_PART, minor: MAX_VERSION_PART, patch: MAX_VERSION_PART },
    ],
    [" 1.4.0 ", { major: 1, minor: 4, patch: 0 }],
  ])("accepts %j", (text, expected) => {
    expect(parseImageVersion(text)).toEqual(expected);
    expect(isImageVersion(text)).toBe(true);
  });

  it.each([
    ["", "is empty", "MAJOR.MINOR.PATCH"],
    ["   ", "is empty", "MAJOR.MINOR.PATCH"],
    ["01.2.3", "leading zero in the MAJOR part", "write 1 instead of 01"],
    ["1.02.3", "leading zero in the MINOR part", "write 2 instead of 02"],
    ["1.2.00", "leading zero in the PATCH part", "write 0 instead of 00"],
    ["1.2", "has 2 parts", "e.g. 1.2.0"],
    ["1", "has 1 part;", "e.g. 1.0.0"],
    ["1.2.3.4", "has 4 parts", "e.g. 1.4.0"],
    ["1..3", "empty MINOR part", "number for each part"],
    ["1.2.", "empty PATCH part", "number for each part"],
    ["2147483648.0.0", "MAJOR part 2147483648 larger than 2147483647", "0 to 2147483647"],
    ["0.0.99999999999999999999", "PATCH part 99999999999999999999 larger", "0 to 2147483647"],
    ["-1.2.3", "negative MAJOR part (-1)", "0 to 2147483647"],
    ["1.-2.3", "negative MINOR part (-2)", "0 to 2147483647"],
    ["1.2.3-rc1", 'pre-release suffix "-rc1"', "such as 1.2.3"],
    ["1.2.3+build.5", 'build metadata suffix "+build.5"', "such as 1.2.3"],
    ["v1.2.3", 'starts with "v"', "write 1.2.3"],
    ["V1.2.3", 'starts with "V"', "write 1.2.3"],
    ["1.a.3", 'MINOR part "a" that is not a whole number', "only digits"],
    ["1.2.3e0", 'PATCH part "3e0"', "only digits"],
    ["1. 2.3", "contains whitespace", "without spaces"],
    ["latest", "has 1 part", "e.g. 1.4.0"],
  ])("rejects %j: %s", (text, reason, fix) => {
    const error = errorOf(() => parseImageVersion(text));
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(problem?.code).toBe("version.invalid");
    expect(problem?.message).toContain(reason);
    expect(problem?.fix?.toLowerCase()).toContain(fix.toLowerCase());
    expect(problem?.message).toContain(`"${text}"`);
    expect(isImageVersion(text)).toBe(false);
  });

  it("names the source and key when given", () => {
    const error = errorOf(() =>
      parseImageVersion("1.2", { key: "version.number", location: { file: "a.yml", line: 3, column: 11 } }),
    );
    expect(error.problems[0]?.key).toBe("version.number");
    expect(error.problems[0]?.location).toEqual({ file: "a.yml", line: 3, column: 11 });
    expect(error.message).toMatch(/^a\.yml:3:11: version\.number "1\.2" is not a valid image version/);

    const labelled = errorOf(() => parseImageVersion("x", { label: "the version input" }));
    expect(labelled.message).toMatch(/^The version input "x"/);
  });

  it("v prefix on an otherwise bad version reports the inner problem", () => {
    const check = checkImageVersion("v01.2.3");
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain("leading zero");
  });

  it("round-trips format ∘ parse for every valid version", () => {
    fc.assert(
      fc.property(versionArb, (v) => {
        const text = formatImageVersion(v);
        expect(parseImageVersion(text)).toEqual(v);
        expect(formatImageVersion(parseImageVersion(text))).toBe(text);
      }),
    );
  });

  it("rejects any part above int32 and any negative part", () => {
    fc.assert(
      fc.property(
        versionArb,
        fc.integer({ min: 0, max: 2 }),
        fc.oneof(
          fc.integer({ min: MAX_VERSION_PART + 1, max: Number.MAX_SAFE_INTEGER }),
          fc.integer({ max: -1 }),
        ),
        (v, index, bad) => {
          const parts = [v.major, v.minor, v.patch];
          parts[index] = bad;
          expect(isImageVersion(parts.join("."))).toBe(false);
        },
      ),
    );
  });

  it("never throws anything but InputError on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const check = checkImageVersion(text);
        if (check.ok) {
          expect(formatImageVersion(check.version)).toBe(text.trim());
        } else {
          expect(() => parseImageVersion(text)).toThrow(InputError);
        }
      }),
    );
  });
});

describe("compareImageVersions", () => {
  it("orders numerically, not lexically", () => {
    const sorted = ["1.10.0", "1.2.0", "1.9.9", "0.0.1", "10.0.0", "2.0.0"]
      .map((t) => parseImageVersion(t))
      .sort(compareImageVersions)
      .map(formatImageVersion);
    expect(sorted).toEqual(["0.0.1", "1.2.0", "1.9.9", "1.10.0", "2.0.0", "10.0.0"]);
  });

  it("is a total order consistent with tuples", () => {
    fc.assert(
      fc.property(versionArb, versionArb, (a, b) => {
        const c = compareImageVersions(a, b);
        expect(compareImageVersions(b, a)).toBe(-c);
        const tuple =
          Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch);
        expect(c).toBe(tuple);
        expect(c === 0).toBe(formatImageVersion(a) === formatImageVersion(b));
      }),
    );
  });
});

describe("bumpVersion", () => {
  const v = parseImageVersion("1.2.3");
  it.each([
    ["patch", "1.2.4"],
    ["minor", "1.3.0"],
    ["major", "2.0.0"],
  ] as const)("%s bump of 1.2.3 is %s", (level, expected) => {
    expect(formatImageVersion(bumpVersion(v, level))).toBe(expected);
  });

  it.each([
    ["1.2.2147483647", "patch", "PATCH", "bump: minor"],
    ["1.2147483647.5", "minor", "MINOR", "bump: major"],
    ["2147483647.0.0", "major", "MAJOR", "new image definition"],
  ] as const)("overflow of %s by %s is a clear error", (text, level, part, fix) => {
    const error = errorOf(() => bumpVersion(parseImageVersion(text), level));
    expect(error.problems[0]?.code).toBe("version.overflow");
    expect(error.problems[0]?.message).toContain(`the ${part} part 2147483647`);
    expect(error.problems[0]?.fix).toContain(fix);
  });

  it("at the boundary below int32 still bumps", () => {
    expect(formatImageVersion(bumpVersion(parseImageVersion("0.0.2147483646"), "patch"))).toBe(
      "0.0.2147483647",
    );
    expect(
      formatImageVersion(bumpVersion(parseImageVersion("2147483647.2147483647.2147483646"), "patch")),
    ).toBe("2147483647.2147483647.2147483647");
    expect(formatImageVersion(bumpVersion(parseImageVersion("1.2147483647.3"), "major"))).toBe("2.0.0");
  });

  it("is strictly monotonic and stays valid", () => {
    fc.assert(
      fc.property(versionArb, fc.constantFrom("patch", "minor", "major" as const), (version, level) => {
        let next: ImageVersion;
        try {
          next = bumpVersion(version, level);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          const limit = level === "patch" ? version.patch : level === "minor" ? version.minor : version.major;
          expect(limit).toBe(MAX_VERSION_PART);
          return;
        }
        expect(compareImageVersions(next, version)).toBeGreaterThan(0);
        expect(isImageVersion(formatImageVersion(next))).toBe(true);
      }),
    );
  });
});
