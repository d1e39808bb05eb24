/**
 * Compares the manifest's image definition with the one in Azure.
 *
 * Immutable in Azure (a difference is a conflict: publish under a new definition name):
 *   location, osType, osState, hyperVGeneration, architecture, publisher/offer/sku (the identifier),
 *   securityType, the other features the manifest names, purchasePlan.
 * Mutable (a difference is an update of the definition):
 *   description, eula, privacyStatementUri, releaseNoteUri, endOfLifeDate, recommended,
 *   disallowedDiskTypes, tags.
 *
 * Enumerations and the identifier compare case-insensitively (as Azure does); free text exactly;
 * dates by their YYYY-MM-DD part; disallowedDiskTypes as a set. Features present in Azure but not
 * named by the manifest are reported as notes, not conflicts.
 */
import type { ResolvedImageDefinition } from "../manifest/model.ts";
import type { ExistingImageDefinition, PropertyChange } from "./types.ts";

export interface DefinitionComparison {
  readonly immutable: readonly PropertyChange[];
  readonly mutable: readonly PropertyChange[];
  readonly notes: readonly string[];
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function change(property: string, from: string | undefined, to: string | undefined): PropertyChange {
  return { property, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** Azure's SecurityType of an existing definition; `Standard` when it has none. */
export function existingSecurityType(existing: ExistingImageDefinition): string {
  const fromFeatures = Object.entries(existing.features ?? {}).find(
    ([k]) => k.toLowerCase() === "securitytype",
  );
  return present(existing.securityType) ?? present(fromFeatures?.[1]) ?? "Standard";
}

function dateOnly(value: string | undefined): string | undefined {
  const v = present(value);
  return v === undefined ? undefined : v.slice(0, 10);
}

function formatList(values: readonly string[] | undefined): string | undefined {
  return values === undefined || values.length === 0 ? undefined : [...values].sort().join(", ");
}

export function compareImageDefinition(
  wanted: ResolvedImageDefinition,
  location: string,
  existing: ExistingImageDefinition,
): DefinitionComparison {
  const immutable: PropertyChange[] = [];
  const mutable: PropertyChange[] = [];
  const notes: string[] = [];

  const caseless = (property: string, from: string | undefined, to: string | undefined): void => {
    if ((present(from) ?? "").toLowerCase() !== (present(to) ?? "").toLowerCase()) {
      immutable.push(change(property, present(from), present(to)));
    }
  };
  if (present(existing.location) !== undefined) caseless("location", existing.location, location);
  caseless("osType", existing.osType, wanted.osType);
  caseless("osState", existing.osState, wanted.osState);
  caseless("hyperVGeneration", existing.hyperVGeneration ?? "V1", wanted.hyperVGeneration);
  caseless("architecture", existing.architecture ?? "x64", wanted.architecture);
  caseless("publisher", existing.publisher, wanted.publisher);
  caseless("offer", existing.offer, wanted.offer);
  caseless("sku", existing.sku, wanted.sku);
  caseless("securityType", existingSecurityType(existing), wanted.securityType ?? "Standard");

  const existingFeatures = new Map(
    Object.entries(existing.features ?? {})
      .filter(([k]) => k.toLowerCase() !== "securitytype")
      .map(([k, v]) => [k.toLowerCase(), { name: k, value: v }]),
  );
  for (const [name, value] of Object.entries(wanted.features)) {
    if (name.toLowerCase() === "securitytype") continue;
    const have = existingFeatures.get(name.toLowerCase());
    existingFeatures.delete(name.toLowerCase());
    if ((have?.value ?? "").toLowerCase() !== value.toLowerCase()) {
      immutable.push(change(`features.${name}`, present(have?.value), value));
    }
  }
  for (const { name, value } of existingFeatures.values()) {
    notes.push(
      `The definition in Azure also has feature ${name}=${value}, which the manifest does not name.`,
    );
  }

  const plan = (p: ExistingImageDefinition["purchasePlan"] | ResolvedImageDefinition["purchasePlan"]) =>
    p === undefined || (p.publisher ?? p.name ?? p.product) === undefined
      ? undefined
      : `${p.publisher ?? ""}/${p.name ?? ""}/${p.product ?? ""}`;
  const planFrom = plan(existing.purchasePlan);
  const planTo = plan(wanted.purchasePlan);
  if ((planFrom ?? "").toLowerCase() !== (planTo ?? "").toLowerCase()) {
    immutable.push(change("purchasePlan", planFrom, planTo));
  }

  const exact = (property: string, from: string | undefined, to: string | undefined): void => {
    if (present(from) !== present(to)) mutable.push(change(property, present(from), present(to)));
  };
  exact("description", existing.description, wanted.description);
  exact("eula", existing.eula, wanted.eula);
  exact("privacyStatementUri", existing.privacyStatementUri, wanted.privacyStatementUri);
  exact("releaseNoteUri", existing.releaseNoteUri, wanted.releaseNoteUri);
  exact("endOfLifeDate", dateOnly(existing.endOfLifeDate), dateOnly(wanted.endOfLifeDate));
  for (const what of ["vCPUs", "memory"] as const) {
    for (const end of ["min", "max"] as const) {
      const from = existing.recommended?.[what]?.[end];
      const to = wanted.recommended?.[what]?.[end];
      if (from !== to) {
        mutable.push(
          change(`recommended.${what}.${end}`, from === undefined ? undefined : String(from), to?.toString()),
        );
      }
    }
  }
  const disallowedFrom = formatList(existing.disallowedDiskTypes);
  const disallowedTo = formatList(wanted.disallowedDiskTypes);
  if ((disallowedFrom ?? "").toLowerCase() !== (disallowedTo ?? "").toLowerCase()) {
    mutable.push(change("disallowedDiskTypes", disallowedFrom, disallowedTo));
  }
  const tagsFrom = existing.tags ?? {};
  const tagKeys = [...new Set([...Object.keys(tagsFrom), ...Object.keys(wanted.tags)])].sort();
  for (const key of tagKeys) {
    const from = Object.hasOwn(tagsFrom, key) ? tagsFrom[key] : undefined;
    const to = Object.hasOwn(wanted.tags, key) ? wanted.tags[key] : undefined;
    if (from !== to) mutable.push(change(`tags.${key}`, from, to));
  }
  return { immutable, mutable, notes };
}

export function describeChange(c: PropertyChange): string {
  const show = (v: string | undefined) => (v === undefined ? "(none)" : JSON.stringify(v));
  return `${c.property}: ${show(c.from)} → ${show(c.to)}`;
}
