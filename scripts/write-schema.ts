/**
 * Writes schema/image-manifest.schema.json from the TypeBox schema in src/core/manifest/schema.ts
 * (the one source of truth), formatted with the repository's Prettier settings so that
 * `prettier --check` passes. `npm run schema`; a unit test fails when the committed file differs.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { manifestJsonSchema } from "../src/core/manifest/schema.ts";

export const SCHEMA_FILE = fileURLToPath(new URL("../schema/image-manifest.schema.json", import.meta.url));

/** The exact text of the committed schema file. */
export async function renderManifestJsonSchema(): Promise<string> {
  const options = (await prettier.resolveConfig(SCHEMA_FILE)) ?? {};
  return prettier.format(JSON.stringify(manifestJsonSchema(), null, 2), { ...options, parser: "json" });
}

if (import.meta.main) {
  writeFileSync(SCHEMA_FILE, await renderManifestJsonSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
