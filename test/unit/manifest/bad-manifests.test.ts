/**
 * Table-driven: every file in test/fixtures/manifests/bad/ starts with
 *   # expect: <code> at <line>:<column>
 *   # key: <key path>                (optional: the problem's key, named in the message)
 *   # message-contains: <text>       (optional: part of the message or fix)
 * and must give exactly that one problem, as an InputError, never another exception.
 */
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkManifest, loadManifest } from "../../../src/core/manifest/load.ts";
import { InputError, formatProblem } from "../../../src/core/problems.ts";
import type { Problem } from "../../../src/core/problems.ts";

const NOW = new Date("2026-03-01T12:00:00Z");
const DIR = fileURLToPath(new URL("../../fixtures/manifests/bad/", import.meta.url));
const FILES = readdirSync(DIR)
  .filter((name) => name.endsWith(".yml"))
  .sort();

interface Expectation {
  readonly code: string;
  readonly line: number;
  readonly column: number;
  readonly key?: string;
  readonly contains?: string;
}

function readExpectation(text: string, name: string): Expectation {
  const expect = /^# expect: (\S+) at (\d+):(\d+)$/m.exec(text);
  if (expect === null) throw new Error(`${name}: no "# expect: <code> at <line>:<col>" header`);
  const key = /^# key: (.+)$/m.exec(text)?.[1];
  const contains = /^# message-contains: (.+)$/m.exec(text)?.[1];
  return {
    code: expect[1] ?? "",
    line: Number(expect[2]),
    column: Number(expect[3]),
    ...(key === undefined ? {} : { key }),
    ...(contains === undefined ? {} : { contains }),
  };
}

function problemsOf(input: string | Uint8Array, file: string): readonly Problem[] {
  let thrown: unknown;
  try {
    loadManifest(input, file, { now: NOW });
  } catch (error) {
    thrown = error;
  }
  expect(thrown, "loadManifest must throw an InputError").toBeInstanceOf(InputError);
  const result = checkManifest(input, file, { now: NOW });
  expect(result.ok).toBe(false);
  const problems = result.ok ? [] : result.problems;
  expect((thrown as InputError).problems).toEqual(problems);
  for (const problem of problems) {
    const text = formatProblem(problem);
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
    expect(problem.message.length).toBeGreaterThan(10);
    expect(problem.fix ?? "").not.toBe("");
    expect(problem.location?.file).toBe(file);
  }
  return problems;
}

describe("bad manifests (fixtures)", () => {
  it("has at least 60 distinct fixtures", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(60);
    const bodies = new Set(FILES.map((name) => readFileSync(DIR + name, "utf8").replace(/^#.*\n/gm, "")));
    expect(bodies.size).toBe(FILES.length);
  });

  it.each(FILES)("%s", (name) => {
    const bytes = readFileSync(DIR + name);
    const expected = readExpectation(bytes.toString("utf8"), name);
    const file = `bad/${name}`;
    const problems = problemsOf(bytes, file);
    expect(
      problems.map((p) => `${p.code} at ${p.location?.line}:${p.location?.column}`),
      problems.map((p) => formatProblem(p)).join("\n"),
    ).toEqual([`${expected.code} at ${expected.line}:${expected.column}`]);
    const [problem] = problems;
    if (problem === undefined) return;
    if (expected.key !== undefined) {
      expect(problem.key).toBe(expected.key);
      expect(problem.message).toContain(`\`${expected.key}`);
    }
    if (expected.contains !== undefined) {
      expect(`${problem.message} ${problem.fix ?? ""}`).toContain(expected.contains);
    }
  });
});

describe("bad manifests (bytes)", () => {
  const good = readFileSync(
    fileURLToPath(new URL("../../../examples/images/minimal.image.yml", import.meta.url)),
    "utf8",
  );
  const utf16le = Buffer.from(good, "utf16le");
  const cases: [string, Uint8Array, string, number, number][] = [
    ["an empty file", new Uint8Array(0), "manifest.empty", 1, 1],
    ["only whitespace", Buffer.from("\n\n   \n"), "manifest.empty", 1, 1],
    ["UTF-16LE with BOM", Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le]), "manifest.encoding", 1, 1],
    ["UTF-16LE without BOM", utf16le, "manifest.encoding", 1, 1],
    [
      "UTF-16BE with BOM",
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16le.swap16()]),
      "manifest.encoding",
      1,
      1,
    ],
    [
      "UTF-32LE with BOM",
      Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from("g\0\0\0")]),
      "manifest.encoding",
      1,
      1,
    ],
    [
      "a NUL byte on line 3",
      Buffer.from("gallery:\n  name: x\n  loca\0tion: westeurope\n"),
      "manifest.encoding",
      3,
      7,
    ],
    [
      "Latin-1 text (é as 0xE9) on line 8",
      Buffer.from(good.replace("Contoso\n", "Contos\u00e9\n"), "latin1"),
      "manifest.encoding",
      good.split("\n").findIndex((line) => line.includes("Contoso")) + 1,
      good
        .split("\n")
        .find((line) => line.includes("Contoso"))!
        .indexOf("Contoso") + 7,
    ],
    ["a NUL character in a string", "gallery:\0", "manifest.encoding", 1, 9],
  ] as [string, Uint8Array, string, number, number][];

  it.each(cases)("%s", (_name, bytes, code, line, column) => {
    const problems = problemsOf(bytes, "bytes.image.yml");
    expect(problems.map((p) => `${p.code} at ${p.location?.line}:${p.location?.column}`)).toEqual([
      `${code} at ${line}:${column}`,
    ]);
  });

  it("accepts a UTF-8 BOM, as bytes and as a string", () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good)]);
    expect(checkManifest(withBom, "bom.yml", { now: NOW }).ok).toBe(true);
    expect(checkManifest(`\uFEFF${good}`, "bom.yml", { now: NOW }).ok).toBe(true);
  });
});
