import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/problems.ts";
import {
  MAX_VERSION_PART,
  chooseVersion,
  compareImageVersions,
  formatImageVersion,
  parseImageVersion,
} from "../../../src/core/version/index.ts";
import type { ChooseVersionInput, ExistingVersion } from "../../../src/core/version/index.ts";

const A = "sha256:aaaa";
const B = "sha256:bbbb";

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

function input(overrides: Partial<ChooseVersionInput>): ChooseVersionInput {
  return { bump: "patch", existing: [], ...overrides };
}

const v = (name: string, digest?: string, provisioningState?: string): ExistingVersion => ({
  name,
  ...(digest === undefined ? {} : { digest }),
  ...(provisioningState === undefined ? {} : { provisioningState }),
});

describe("chooseVersion without an explicit version", () => {
  it("empty gallery, manifest line → the line", () => {
    const c = chooseVersion(input({ manifestNumber: "1.4.0" }));
    expect(c).toMatchObject({ version: "1.4.0", reason: "manifest", lowerBound: false, resume: false });
    expect(c.highestExisting).toBeUndefined();
  });

  it("empty gallery, no line → 1.0.0 (first)", () => {
    expect(chooseVersion(input({}))).toMatchObject({ version: "1.0.0", reason: "first", lowerBound: false });
  });

  it("gallery below the line → the line", () => {
    const c = chooseVersion(input({ manifestNumber: "2.0.0", existing: [v("1.9.9"), v("1.10.0")] }));
    expect(c).toMatchObject({ version: "2.0.0", reason: "manifest", highestExisting: "1.10.0" });
  });

  it.each([
    ["patch", "1.4.3"],
    ["minor", "1.5.0"],
    ["major", "2.0.0"],
  ] as const)("gallery at/above the line → bump %s of the highest", (bump, expected) => {
    const c = chooseVersion(
      input({ manifestNumber: "1.4.0", bump, existing: [v("1.4.0"), v("1.4.2"), v("1.3.9"), v("1.4.10-x")] }),
    );
    expect(c).toMatchObject({ version: expected, reason: "bumped", bumpedFrom: "1.4.2", resume: false });
  });

  it("bumps from a highest that is above the line on another major", () => {
    const c = chooseVersion(input({ manifestNumber: "1.4.0", existing: [v("2.0.3"), v("1.4.0")] }));
    expect(c).toMatchObject({ version: "2.0.4", bumpedFrom: "2.0.3" });
    expect(c.explanation).toContain("at or above version.number 1.4.0");
  });

  it("no line, non-empty gallery → bump highest", () => {
    expect(chooseVersion(input({ existing: [v("0.3.1")] }))).toMatchObject({
      version: "0.3.2",
      reason: "bumped",
    });
  });

  it("no credentials → the line, as a lower bound", () => {
    const c = chooseVersion(input({ manifestNumber: "1.4.0", existing: undefined }));
    expect(c).toMatchObject({ version: "1.4.0", reason: "manifest", lowerBound: true, resume: false });
    expect(c.explanation).toContain("At least 1.4.0");
    expect(chooseVersion(input({ existing: undefined }))).toMatchObject({
      version: "1.0.0",
      lowerBound: true,
    });
  });

  it("highest made from the same VHD → resume it, whatever its state", () => {
    const c = chooseVersion(
      input({ manifestNumber: "1.4.0", existing: [v("1.4.0", B), v("1.4.1", A, "Failed")], vhdDigest: A }),
    );
    expect(c).toMatchObject({ version: "1.4.1", reason: "resume", resume: true, resumeState: "Failed" });
  });

  it("the line itself made from the same VHD → manifest resume", () => {
    const c = chooseVersion(
      input({ manifestNumber: "1.4.0", existing: [v("1.4.0", "SHA256:AAAA")], vhdDigest: A }),
    );
    expect(c).toMatchObject({ version: "1.4.0", reason: "manifest", resume: true });
  });

  it("an older version from the same VHD does not stop a bump", () => {
    const c = chooseVersion(
      input({ manifestNumber: "1.4.0", existing: [v("1.4.0", A), v("1.4.1", B)], vhdDigest: A }),
    );
    expect(c).toMatchObject({ version: "1.4.2", reason: "bumped", resume: false });
  });

  it("highest carries a digest but ours is unknown → needs the digest", () => {
    const c = chooseVersion(input({ manifestNumber: "1.4.0", existing: [v("1.4.0", B)] }));
    expect(c).toMatchObject({ version: "1.4.1", reason: "bumped", needsDigestToDecide: true });
    const again = chooseVersion(input({ manifestNumber: "1.4.0", existing: [v("1.4.0", B)], vhdDigest: B }));
    expect(again).toMatchObject({ version: "1.4.0", resume: true });
    expect(again.needsDigestToDecide).toBeUndefined();
  });

  it("ignores invalid names with a warning", () => {
    const c = chooseVersion(
      input({ manifestNumber: "1.0.0", existing: [v("latest"), v("01.0.0"), v("0.9.0")] }),
    );
    expect(c.version).toBe("1.0.0");
    expect(c.warnings).toHaveLength(2);
    expect(c.warnings[0]).toContain('Ignoring existing version "latest"');
    expect(c.warnings[1]).toContain("leading zero");
  });

  it("overflow while bumping is a clear error", () => {
    const error = errorOf(() => chooseVersion(input({ existing: [v("1.0.2147483647")] })));
    expect(error.problems[0]?.code).toBe("version.overflow");
  });

  it("an invalid version.number is a keyed error", () => {
    const error = errorOf(() => chooseVersion(input({ manifestNumber: "1.4" })));
    expect(error.problems[0]).toMatchObject({ code: "version.invalid", key: "version.number" });
  });
});

describe("chooseVersion with an explicit version", () => {
  it("higher than all → used as is", () => {
    const c = chooseVersion(input({ explicit: "1.5.0", manifestNumber: "9.0.0", existing: [v("1.4.2")] }));
    expect(c).toMatchObject({ version: "1.5.0", reason: "explicit", resume: false, lowerBound: false });
  });

  it("empty gallery → used as is", () => {
    expect(chooseVersion(input({ explicit: "0.0.0" }))).toMatchObject({
      version: "0.0.0",
      reason: "explicit",
    });
  });

  it("no credentials → used as is, not a lower bound, with a warning", () => {
    const c = chooseVersion(input({ explicit: "1.5.0", existing: undefined }));
    expect(c).toMatchObject({ version: "1.5.0", lowerBound: false, resume: false });
    expect(c.warnings.join()).toContain("not checked against the gallery");
  });

  it("lower than the highest → conflict with a fix", () => {
    const error = errorOf(() =>
      chooseVersion(
        input({
          explicit: "1.3.0",
          existing: [v("1.4.2"), v("1.2.0")],
          galleryName: "contosoGallery",
          imageName: "ubuntu-web",
        }),
      ),
    );
    const p = error.problems[0];
    expect(p?.code).toBe("version.too-low");
    expect(p?.message).toContain("1.3.0");
    expect(p?.message).toContain(
      "lower than 1.4.2, the highest version of image ubuntu-web in gallery contosoGallery",
    );
    expect(p?.fix).toContain("e.g. 1.4.3");
    expect(p?.fix).toContain("omit the version");
  });

  it("equal to one made from the same VHD → resume (even if lower than the highest)", () => {
    const c = chooseVersion(
      input({ explicit: "1.2.0", existing: [v("1.4.2", B), v("1.2.0", A)], vhdDigest: A }),
    );
    expect(c).toMatchObject({ version: "1.2.0", reason: "explicit", resume: true });
  });

  it("equal to a Failed version from the same VHD → resumable", () => {
    const c = chooseVersion(input({ explicit: "1.4.2", existing: [v("1.4.2", A, "Failed")], vhdDigest: A }));
    expect(c).toMatchObject({ resume: true, resumeState: "Failed" });
  });

  it("equal to one from a different VHD → conflict, never an overwrite", () => {
    const error = errorOf(() =>
      chooseVersion(
        input({
          explicit: "1.4.2",
          explicitLabel: "release tag v1.4.2",
          existing: [v("1.4.2", B)],
          vhdDigest: A,
        }),
      ),
    );
    const p = error.problems[0];
    expect(p?.code).toBe("version.conflict");
    expect(p?.message).toContain("release tag v1.4.2");
    expect(p?.message).toContain(`different VHD (digest ${B}, this VHD is ${A})`);
    expect(p?.message).toContain("conflict, never an overwrite");
    expect(p?.fix).toContain("Pick 1.4.3 or higher");
    expect(p?.fix).toContain("omit the version to bump");
  });

  it("equal to a foreign version without digest → conflict even without our digest", () => {
    const error = errorOf(() => chooseVersion(input({ explicit: "1.4.2", existing: [v("1.4.2")] })));
    expect(error.problems[0]?.message).toContain("no digest tag");
  });

  it("equal to a Failed version from another VHD → conflict suggesting deletion", () => {
    const error = errorOf(() =>
      chooseVersion(input({ explicit: "1.4.2", existing: [v("1.4.2", B, "Failed")], vhdDigest: A })),
    );
    expect(error.problems[0]?.fix).toContain("delete it first");
  });

  it("equal to one with a digest while ours is unknown → needs the digest", () => {
    const c = chooseVersion(input({ explicit: "1.4.2", existing: [v("1.4.2", B)] }));
    expect(c).toMatchObject({ version: "1.4.2", resume: false, needsDigestToDecide: true });
  });

  it("invalid explicit version names its source", () => {
    const error = errorOf(() => chooseVersion(input({ explicit: "v1.2.3" })));
    expect(error.problems[0]?.message).toMatch(/^The version input "v1\.2\.3"/);
  });
});

describe("chooseVersion properties", () => {
  const part = fc.integer({ min: 0, max: 50 });
  const name = fc.tuple(part, part, part).map(([a, b, c]) => `${a}.${b}.${c}`);
  const digest = fc.option(fc.constantFrom(A, B, "sha256:cccc"), { nil: undefined });
  const existingArb = fc
    .uniqueArray(fc.record({ name, digest }), { maxLength: 8, selector: (e) => e.name })
    .map((list) => list.map((e) => v(e.name, e.digest)));

  it("the chosen version is above every existing one unless it is a resume", () => {
    fc.assert(
      fc.property(
        existingArb,
        fc.option(name, { nil: undefined }),
        fc.option(name, { nil: undefined }),
        fc.constantFrom("patch", "minor", "major" as const),
        fc.constantFrom(A, B),
        (existing, explicit, manifestNumber, bump, vhdDigest) => {
          let choice;
          try {
            choice = chooseVersion({
              existing,
              bump,
              vhdDigest,
              ...(explicit === undefined ? {} : { explicit }),
              ...(manifestNumber === undefined ? {} : { manifestNumber }),
            });
          } catch (error) {
            expect(error).toBeInstanceOf(InputError);
            expect(explicit).toBeDefined();
            return;
          }
          const chosen = parseImageVersion(choice.version);
          if (choice.resume) {
            const same = existing.find((e) => e.name === choice.version);
            expect(same?.digest).toBe(vhdDigest);
          } else {
            for (const e of existing) {
              expect(compareImageVersions(chosen, parseImageVersion(e.name))).toBeGreaterThan(0);
            }
          }
          if (explicit !== undefined) expect(choice.version).toBe(explicit);
        },
      ),
    );
  });

  it("without credentials the result is a lower bound of what the gallery would give", () => {
    fc.assert(
      fc.property(existingArb, fc.option(name, { nil: undefined }), (existing, manifestNumber) => {
        const base = manifestNumber === undefined ? {} : { manifestNumber };
        const blind = chooseVersion({ bump: "patch", existing: undefined, ...base });
        const seeing = chooseVersion({ bump: "patch", existing, vhdDigest: "sha256:none", ...base });
        expect(blind.lowerBound).toBe(true);
        if (manifestNumber !== undefined) {
          expect(
            compareImageVersions(parseImageVersion(seeing.version), parseImageVersion(blind.version)),
          ).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it("int32 boundary: the highest possible patch bumps with a clear error, minor still works", () => {
    const top = `0.0.${MAX_VERSION_PART}`;
    expect(() => chooseVersion({ bump: "patch", existing: [v(top)] })).toThrow(/2147483647/);
    expect(chooseVersion({ bump: "minor", existing: [v(top)] }).version).toBe("0.1.0");
    expect(formatImageVersion(parseImageVersion(top))).toBe(top);
  });
});
