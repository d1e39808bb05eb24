import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without types
import { renderReadme } from "../../scripts/readme-reference.mjs";

describe("README reference tables", () => {
  it("match the manifest JSON Schema and action.yml (run `node scripts/readme-reference.mjs --write`)", () => {
    const readme = readFileSync("README.md", "utf8");
    expect((renderReadme as (text: string) => string)(readme)).toBe(readme);
  });
});
