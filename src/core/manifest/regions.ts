/**
 * Azure public-cloud regions: programmatic name, display name, and whether the region has
 * availability zones (which Standard_ZRS replicas need). Source: Microsoft Learn, "Azure regions
 * list" (reliability/regions-list) and `az account list-locations`. Restricted-access regions
 * (Australia Central 2, Jio India, …) are included; sovereign clouds (US Gov, China) are not.
 *
 * New regions appear every few months: a region missing here is reported with a suggestion, and the
 * table is the one place to extend.
 */

export interface AzureRegion {
  /** Programmatic name used by ARM, e.g. `westeurope`. */
  readonly name: string;
  /** Display name, e.g. `West Europe`. */
  readonly displayName: string;
  /** True when the region has availability zones (Standard_ZRS is possible). */
  readonly zones: boolean;
}

// [programmatic name, display name, availability zones]
const TABLE: readonly (readonly [string, string, boolean])[] = [
  ["australiacentral", "Australia Central", false],
  ["australiacentral2", "Australia Central 2", false],
  ["australiaeast", "Australia East", true],
  ["australiasoutheast", "Australia Southeast", false],
  ["austriaeast", "Austria East", true],
  ["belgiumcentral", "Belgium Central", true],
  ["brazilsouth", "Brazil South", true],
  ["brazilsoutheast", "Brazil Southeast", false],
  ["canadacentral", "Canada Central", true],
  ["canadaeast", "Canada East", false],
  ["centralindia", "Central India", true],
  ["centralus", "Central US", true],
  ["chilecentral", "Chile Central", true],
  ["eastasia", "East Asia", true],
  ["eastus", "East US", true],
  ["eastus2", "East US 2", true],
  ["francecentral", "France Central", true],
  ["francesouth", "France South", false],
  ["germanynorth", "Germany North", false],
  ["germanywestcentral", "Germany West Central", true],
  ["indonesiacentral", "Indonesia Central", true],
  ["israelcentral", "Israel Central", true],
  ["italynorth", "Italy North", true],
  ["japaneast", "Japan East", true],
  ["japanwest", "Japan West", true],
  ["jioindiacentral", "Jio India Central", false],
  ["jioindiawest", "Jio India West", false],
  ["koreacentral", "Korea Central", true],
  ["koreasouth", "Korea South", false],
  ["malaysiawest", "Malaysia West", true],
  ["mexicocentral", "Mexico Central", true],
  ["newzealandnorth", "New Zealand North", true],
  ["northcentralus", "North Central US", false],
  ["northeurope", "North Europe", true],
  ["norwayeast", "Norway East", true],
  ["norwaywest", "Norway West", false],
  ["polandcentral", "Poland Central", true],
  ["qatarcentral", "Qatar Central", true],
  ["southafricanorth", "South Africa North", true],
  ["southafricawest", "South Africa West", false],
  ["southcentralus", "South Central US", true],
  ["southeastasia", "Southeast Asia", true],
  ["southindia", "South India", false],
  ["spaincentral", "Spain Central", true],
  ["swedencentral", "Sweden Central", true],
  ["swedensouth", "Sweden South", false],
  ["switzerlandnorth", "Switzerland North", true],
  ["switzerlandwest", "Switzerland West", false],
  ["uaecentral", "UAE Central", false],
  ["uaenorth", "UAE North", true],
  ["uksouth", "UK South", true],
  ["ukwest", "UK West", false],
  ["westcentralus", "West Central US", false],
  ["westeurope", "West Europe", true],
  ["westindia", "West India", false],
  ["westus", "West US", false],
  ["westus2", "West US 2", true],
  ["westus3", "West US 3", true],
];

const REGIONS: readonly AzureRegion[] = TABLE.map(([name, displayName, zones]) =>
  Object.freeze({ name, displayName, zones }),
);
const BY_NAME = new Map(REGIONS.map((region) => [region.name, region]));

/** Every known public region, sorted by programmatic name. */
export function listRegions(): readonly AzureRegion[] {
  return REGIONS;
}

/** Lowercase, drop spaces, hyphens, underscores: `West Europe`, `west-europe`, `WestEurope` → `westeurope`. */
export function canonicalRegionKey(input: string): string {
  return input
    .normalize("NFKC")
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, "");
}

/** The programmatic name for a programmatic or display name, or undefined when unknown. */
export function normalizeRegion(input: string): string | undefined {
  return BY_NAME.get(canonicalRegionKey(input))?.name;
}

export function findRegion(input: string): AzureRegion | undefined {
  return BY_NAME.get(canonicalRegionKey(input));
}

/** True when the region has availability zones; false for unknown regions. */
export function regionSupportsZones(input: string): boolean {
  return findRegion(input)?.zones ?? false;
}

/** The nearest known region names (edit distance), best first, for “did you mean …?”. */
export function suggestRegions(input: string, limit = 1): string[] {
  const key = canonicalRegionKey(input);
  if (key === "") return [];
  return REGIONS.map((region) => ({ name: region.name, distance: editDistance(key, region.name) }))
    .filter((candidate) => candidate.distance <= Math.max(2, Math.floor(key.length / 5)))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((candidate) => candidate.name);
}

/** Damerau–Levenshtein distance (optimal string alignment): a transposition counts as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}
