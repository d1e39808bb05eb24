import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CONTAINER_NAME,
  GALLERY_NAME,
  IMAGE_DEFINITION_NAME,
  IMAGE_IDENTIFIER,
  RESOURCE_GROUP_NAME,
  STORAGE_ACCOUNT_NAME,
  SUBSCRIPTION_ID,
  checkVersionNumber,
} from "../../../src/core/manifest/naming.ts";
import type { NamingRule } from "../../../src/core/manifest/naming.ts";
import {
  editDistance,
  listRegions,
  normalizeRegion,
  regionSupportsZones,
  suggestRegions,
} from "../../../src/core/manifest/regions.ts";
import { formatRegionShorthand, parseRegionShorthand } from "../../../src/core/manifest/rules.ts";
import { STORAGE_ACCOUNT_TYPES } from "../../../src/core/manifest/schema.ts";

describe("regions", () => {
  it("normalises programmatic and display names", () => {
    for (const input of ["westeurope", "West Europe", "west europe", "WestEurope", " WEST-EUROPE "]) {
      expect(normalizeRegion(input)).toBe("westeurope");
    }
    expect(normalizeRegion("East US 2")).toBe("eastus2");
    expect(normalizeRegion("Sweden Central")).toBe("swedencentral");
    expect(normalizeRegion("Southeast Asia")).toBe("southeastasia");
    expect(normalizeRegion("Atlantis")).toBeUndefined();
  });

  it("knows which regions have availability zones", () => {
    expect(regionSupportsZones("westeurope")).toBe(true);
    expect(regionSupportsZones("East US 2")).toBe(true);
    expect(regionSupportsZones("westus")).toBe(false);
    expect(regionSupportsZones("northcentralus")).toBe(false);
    expect(regionSupportsZones("nowhere")).toBe(false);
  });

  it("has unique, sorted, lowercase names and distinct display names", () => {
    const regions = listRegions();
    expect(regions.length).toBeGreaterThan(50);
    const names = regions.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);
    for (const region of regions) {
      expect(region.name).toMatch(/^[a-z0-9]+$/);
      expect(normalizeRegion(region.displayName)).toBe(region.name);
    }
  });

  it("suggests the nearest region for typos", () => {
    expect(suggestRegions("westeuropa")).toEqual(["westeurope"]);
    expect(suggestRegions("eastsu2")).toEqual(["eastus2"]);
    expect(suggestRegions("swedencentrl")).toEqual(["swedencentral"]);
    expect(suggestRegions("mars")).toEqual([]);
  });

  it("property: any spacing/casing of a display name normalises to its region", () => {
    const regions = listRegions();
    fc.assert(
      fc.property(
        fc.constantFrom(...regions),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.constantFrom("", " ", "-", "_", "  "),
        (region, upper, separator) => {
          const mangled = [...region.displayName]
            .map((ch, index) => (upper[index % upper.length] ? ch.toUpperCase() : ch.toLowerCase()))
            .join("")
            .replace(/ /g, separator);
          expect(normalizeRegion(mangled)).toBe(region.name);
          expect(normalizeRegion(region.name)).toBe(region.name);
        },
      ),
    );
  });

  it("property: a one-letter typo of a region is suggested back (when unambiguous)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...listRegions()), fc.nat(), (region, at) => {
        const index = at % region.name.length;
        const typo = region.name.slice(0, index) + region.name.slice(index + 1);
        if (normalizeRegion(typo) !== undefined) return;
        const suggestion = suggestRegions(typo)[0];
        expect(suggestion).toBeDefined();
        expect(editDistance(typo, suggestion ?? "")).toBe(1);
      }),
    );
  });
});

describe("region shorthand", () => {
  it("parses the az CLI forms", () => {
    expect(parseRegionShorthand("eastus")).toEqual({ ok: true, region: "eastus" });
    expect(parseRegionShorthand("eastus=2")).toEqual({ ok: true, region: "eastus", replicas: 2 });
    expect(parseRegionShorthand("East US=2=Standard_ZRS")).toEqual({
      ok: true,
      region: "East US",
      replicas: 2,
      storageAccountType: "Standard_ZRS",
    });
    expect(parseRegionShorthand("eastus=0")).toMatchObject({ ok: false, code: "manifest.out-of-range" });
    expect(parseRegionShorthand("eastus=x")).toMatchObject({
      ok: false,
      code: "manifest.bad-region-shorthand",
    });
    expect(parseRegionShorthand("eastus=1=Hot")).toMatchObject({ ok: false, code: "manifest.invalid-value" });
    expect(parseRegionShorthand("a=1=Standard_LRS=x")).toMatchObject({ ok: false });
  });

  it("property: format then parse is the identity", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...listRegions().map((r) => r.name)),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        fc.option(fc.constantFrom(...STORAGE_ACCOUNT_TYPES), { nil: undefined }),
        (name, replicas, storageAccountType) => {
          const region = {
            name,
            ...(replicas === undefined && storageAccountType === undefined
              ? {}
              : { replicas: replicas ?? 1 }),
            ...(storageAccountType === undefined ? {} : { storageAccountType }),
          };
          expect(parseRegionShorthand(formatRegionShorthand(region))).toEqual({
            ok: true,
            region: name,
            ...(region.replicas === undefined ? {} : { replicas: region.replicas }),
            ...(storageAccountType === undefined ? {} : { storageAccountType }),
          });
        },
      ),
    );
  });
});

describe("naming rules", () => {
  const table: [NamingRule, string[], string[]][] = [
    [
      GALLERY_NAME,
      ["g", "contosoGallery", "my_gallery.v2", "a".repeat(80)],
      ["", "my-gallery", "_g", "g.", "a".repeat(81), "g a"],
    ],
    [IMAGE_DEFINITION_NAME, ["ubuntu-web", "a", "x_1.2-b"], ["-a", "a-", "a b", "a/b", "a".repeat(81)]],
    [IMAGE_IDENTIFIER, ["Contoso", "ubuntu-24-gen2", "a".repeat(128)], ["a b", "a".repeat(129), "-a"]],
    [
      RESOURCE_GROUP_NAME,
      ["rg-images", "rg(1)", "grüße", "a".repeat(90), "rg_x.y"],
      ["rg.", "", "rg#1", "a".repeat(91), "rg/x"],
    ],
    [
      STORAGE_ACCOUNT_NAME,
      ["abc", "contosoimages", "a1".repeat(12)],
      ["ab", "Contoso", "con-toso", "a".repeat(25)],
    ],
    [
      CONTAINER_NAME,
      ["vhds", "vhd-store", "a1b", "a".repeat(63)],
      ["vh", "-vhd", "vhd-", "vhd--x", "VHDs", "a".repeat(64), "vhd_s"],
    ],
    [
      SUBSCRIPTION_ID,
      ["00000000-0000-0000-0000-000000000000", "ABCDEF01-2345-6789-abcd-ef0123456789"],
      ["sub", "0000-0000"],
    ],
  ];

  it.each(table)(
    "$what: accepts good names and explains bad ones; check agrees with the schema pattern",
    (rule, good, bad) => {
      const pattern = new RegExp(rule.pattern, "u");
      for (const name of good) {
        expect(rule.check(name), name).toBeUndefined();
        expect(pattern.test(name), name).toBe(true);
      }
      for (const name of bad) {
        expect(rule.check(name), name).toMatch(/\w/);
        expect(pattern.test(name), name).toBe(false);
      }
    },
  );

  it("property: check() and the JSON Schema pattern agree on random strings", () => {
    const rules = table.map(([rule]) => rule);
    const chars = fc.constantFrom(..."aZ09-_.()#/ é".split(""));
    fc.assert(
      fc.property(fc.constantFrom(...rules), fc.array(chars, { maxLength: 140 }), (rule, list) => {
        const name = list.join("");
        const pattern = new RegExp(rule.pattern, "u");
        const length = [...name].length;
        const schemaOk = pattern.test(name) && length >= rule.minLength && length <= rule.maxLength;
        expect(rule.check(name) === undefined, `${rule.what}: ${JSON.stringify(name)}`).toBe(schemaOk);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("version numbers", () => {
  it("accepts MAJOR.MINOR.PATCH int32 without leading zeros", () => {
    for (const good of ["0.0.0", "1.4.0", "2147483647.2147483647.2147483647", "10.20.30"]) {
      expect(checkVersionNumber(good), good).toBeUndefined();
    }
  });

  it.each([
    ["01.0.0", "leading zero"],
    ["1.2", "2 parts"],
    ["1.2.3.4", "4 parts"],
    ["1.2.2147483648", "2147483647"],
    ["1.-2.3", "negative"],
    ["1.2.3-rc.1", "suffix"],
    ["1.2.3+build", "suffix"],
    ["v1.2.3", "starts with"],
    ["1.x.3", "not a whole number"],
    ["", "empty"],
    ["99999999999.0.0", "2147483647"],
  ])("%s is rejected (%s)", (text, reason) => {
    expect(checkVersionNumber(text)).toContain(reason);
  });

  it("property: every triple of int32 parts is valid, and formatting with a leading zero is not", () => {
    const part = fc.integer({ min: 0, max: 2_147_483_647 });
    fc.assert(
      fc.property(part, part, part, (a, b, c) => {
        expect(checkVersionNumber(`${a}.${b}.${c}`)).toBeUndefined();
        expect(checkVersionNumber(`${a}.0${b}.${c}`)).toBeDefined();
        expect(checkVersionNumber(`${a}.${b}.${c}.0`)).toBeDefined();
      }),
    );
  });
});
