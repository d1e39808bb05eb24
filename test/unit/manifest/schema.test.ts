import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SCHEMA_FILE, renderManifestJsonSchema } from "../../../scripts/write-schema.ts";
import { SCHEMA_ID, manifestJsonSchema } from "../../../src/core/manifest/schema.ts";

describe("published JSON Schema", () => {
  it("is exactly what `npm run schema` generates (run it after changing schema.ts)", async () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(await renderManifestJsonSchema());
  });

  it("has an $id, a title and a description on every property", () => {
    const schema = manifestJsonSchema();
    expect(schema["$id"]).toBe(SCHEMA_ID);
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      const properties = record["properties"] as Record<string, unknown> | undefined;
      for (const [name, child] of Object.entries(properties ?? {})) {
        const description = (child as Record<string, unknown>)["description"];
        if (typeof description !== "string" || description.length < 10) missing.push(`${path}.${name}`);
        walk(child, `${path}.${name}`);
      }
      if (record["items"] !== undefined) walk(record["items"], `${path}[]`);
      for (const branch of (record["anyOf"] as unknown[] | undefined) ?? []) walk(branch, path);
    };
    walk(schema, "");
    expect(missing).toEqual([]);
  });

  it("forbids unknown keys everywhere except the features and tags maps", () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      if (record["type"] === "object" && record["additionalProperties"] !== false) open.push(path);
      for (const [name, child] of Object.entries((record["properties"] as Record<string, unknown>) ?? {})) {
        walk(child, `${path}.${name}`);
      }
      if (record["items"] !== undefined) walk(record["items"], `${path}[]`);
      for (const branch of (record["anyOf"] as unknown[] | undefined) ?? []) walk(branch, path);
    };
    walk(manifestJsonSchema(), "");
    expect(open).toEqual([".image.features", ".image.tags"]);
  });

  it("validates the examples with a plain JSON Schema validator (as editors do)", () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as object);
    for (const name of ["full", "minimal"]) {
      const data: unknown = parse(
        readFileSync(new URL(`../../../examples/images/${name}.image.yml`, import.meta.url), "utf8"),
      );
      expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    }
  });
});
