/**
 * From bytes to a YAML document with positions: encoding checks, YAML syntax, one document, a
 * mapping at the root. Every failure is a Problem with a line and column. Pure: no I/O.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Document, Node, Pair, YAMLError } from "yaml";
import type { Problem, SourceLocation } from "../problems.ts";

export interface ParsedSource {
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  readonly file: string;
}

export type SourceResult =
  | { readonly ok: true; readonly source: ParsedSource; readonly data: Record<string, unknown> }
  | { readonly ok: false; readonly problems: Problem[] };

/** Byte offset → 1-based line and column in UTF-8 text that precedes a bad byte. */
function bytePosition(bytes: Uint8Array, offset: number): { line: number; column: number } {
  const before = new TextDecoder("utf-8").decode(bytes.subarray(0, offset));
  const lines = before.split("\n");
  return { line: lines.length, column: [...(lines[lines.length - 1] ?? "")].length + 1 };
}

/** Decodes the manifest bytes as UTF-8 (a BOM is fine); UTF-16/32, NUL bytes and invalid UTF-8 are problems. */
export function decodeManifest(
  input: string | Uint8Array,
  file: string,
): { text: string } | { problem: Problem } {
  const encodingFix =
    "Save the manifest as UTF-8 (without BOM is best), e.g. `iconv -f UTF-16 -t UTF-8 in.yml > out.yml` or your editor's “Save with encoding: UTF-8”.";
  if (typeof input !== "string") {
    const b = input;
    const utf16 =
      (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) ||
      (b.length >= 4 && ((b[0] === 0 && b[1] !== 0) || (b[1] === 0 && b[0] !== 0)) && b.indexOf(0) < 4);
    const utf32 =
      b.length >= 4 &&
      ((b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) ||
        (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0));
    if (utf16 || utf32) {
      return {
        problem: {
          code: "manifest.encoding",
          message: `The manifest is encoded as ${utf32 ? "UTF-32" : "UTF-16"}; sig-publish reads UTF-8 only.`,
          fix: encodingFix,
          location: { file, line: 1, column: 1 },
        },
      };
    }
    const nul = b.indexOf(0);
    if (nul >= 0) {
      const at = bytePosition(b, nul);
      return {
        problem: {
          code: "manifest.encoding",
          message: "The manifest contains a NUL byte; it is binary or not UTF-8 text.",
          fix: encodingFix,
          location: { file, ...at },
        },
      };
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(b);
    } catch {
      const bad = firstInvalidUtf8(b);
      const at = bytePosition(b, bad);
      return {
        problem: {
          code: "manifest.encoding",
          message: `The manifest is not valid UTF-8 (byte 0x${(b[bad] ?? 0).toString(16).padStart(2, "0")} at offset ${bad}); it may be Latin-1 or Windows-1252.`,
          fix: encodingFix,
          location: { file, ...at },
        },
      };
    }
    return { text };
  }
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  const nul = text.indexOf("\u0000");
  if (nul >= 0) {
    const lines = text.slice(0, nul).split("\n");
    return {
      problem: {
        code: "manifest.encoding",
        message: "The manifest contains a NUL character; it is binary, or UTF-16 read as UTF-8.",
        fix: encodingFix,
        location: { file, line: lines.length, column: (lines[lines.length - 1] ?? "").length + 1 },
      },
    };
  }
  return { text };
}

/** Offset of the first byte of the first invalid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const lead = b[i] ?? 0;
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0;
    if (length === 0 || i + length > b.length) return i;
    for (let k = 1; k < length; k++) {
      if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    }
    const second = b[i + 1] ?? 0;
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f)) return i;
    if ((lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return i;
    i += length;
  }
  return Math.max(0, b.length - 1);
}

export function locate(lines: LineCounter, file: string, start: number, end?: number): SourceLocation {
  const from = lines.linePos(start);
  const location: { -readonly [K in keyof SourceLocation]: SourceLocation[K] } = {
    file,
    line: from.line,
    column: from.col,
  };
  if (end !== undefined && end > start) {
    const to = lines.linePos(end);
    location.endLine = to.line;
    location.endColumn = to.col;
  }
  return location;
}

function yamlErrorProblem(error: YAMLError, lines: LineCounter, file: string, text: string): Problem {
  const location = locate(lines, file, error.pos[0], error.pos[1]);
  const first = (error.message.split("\n")[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, "");
  switch (error.code) {
    case "DUPLICATE_KEY":
      return {
        code: "manifest.duplicate-key",
        message: `The key \`${/^[^:\s]+/.exec(text.slice(error.pos[0]))?.[0] ?? "?"}\` appears twice in the same mapping; YAML would silently keep only one of them.`,
        fix: "Delete one of the two entries (or merge their values).",
        location,
      };
    case "MULTIPLE_DOCS":
      return {
        code: "manifest.multiple-documents",
        message: "The manifest holds more than one YAML document (a `---` separator follows content).",
        fix: "Keep one image per manifest file: move the second document into its own `*.image.yml`.",
        location,
      };
    case "TAB_AS_INDENT":
      return {
        code: "manifest.yaml-tab",
        message: "A tab is used for indentation; YAML allows spaces only.",
        fix: "Replace the tab with spaces (e.g. two per level).",
        location,
      };
    case "TAG_RESOLVE_FAILED":
    case "BAD_COLLECTION_TYPE":
      return {
        code: "manifest.yaml-tag",
        message: `${first}; the manifest uses plain YAML values only.`,
        fix: "Remove the `!tag` in front of the value.",
        location,
      };
    case "BAD_ALIAS":
    case "ALIAS_PROPS":
    case "RESOURCE_EXHAUSTION":
      return {
        code: "manifest.yaml-alias",
        message: `${first}.`,
        fix: "Define each anchor (`&name`) before its aliases (`*name`), or write the values out.",
        location,
      };
    default:
      return {
        code: "manifest.yaml-syntax",
        message: `The manifest is not valid YAML: ${first}.`,
        fix: "Check the indentation and quoting around this position; a YAML linter (yamllint) shows the structure.",
        location,
      };
  }
}

/** Parses the text as exactly one YAML mapping and converts it to plain data. */
export function parseManifestSource(input: string | Uint8Array, file: string): SourceResult {
  const decoded = decodeManifest(input, file);
  if ("problem" in decoded) return { ok: false, problems: [decoded.problem] };
  const text = decoded.text;
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    keepSourceTokens: false,
    version: "1.2",
  });
  // A syntax error usually confuses the parser for the rest of the file: report the first one, plus
  // the independent findings (duplicate keys, unknown tags) anywhere.
  const independent = new Set(["DUPLICATE_KEY", "TAG_RESOLVE_FAILED", "MULTIPLE_DOCS"]);
  const yamlErrors = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  const firstSyntax = yamlErrors.find((error) => !independent.has(error.code));
  const yamlProblems = yamlErrors
    .filter((error) => independent.has(error.code) || error === firstSyntax)
    .map((error) => yamlErrorProblem(error, lines, file, text));
  if (yamlProblems.length > 0) return { ok: false, problems: dedupeByPosition(yamlProblems) };

  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ""))) {
    const onlyComments = /\S/.test(text);
    return {
      ok: false,
      problems: [
        {
          code: "manifest.empty",
          message: onlyComments
            ? "The manifest holds only comments or an empty document; there is nothing to publish."
            : "The manifest file is empty.",
          fix: "Start from examples/images/minimal.image.yml: gallery, image and staging are required.",
          location: { file, line: 1, column: 1 },
        },
      ],
    };
  }
  if (!isMap(contents)) {
    const range = contents.range;
    const kind = isSeq(contents) ? "a list" : isAlias(contents) ? "an alias" : "a single value";
    return {
      ok: false,
      problems: [
        {
          code: "manifest.not-a-mapping",
          message: `The manifest's top level is ${kind}; it must be a mapping with the keys gallery, image, staging (and version, disks, retention).`,
          fix: "Write `gallery:`, `image:`, `staging:` … at the start of lines, without a leading `-`.",
          location: locate(lines, file, range[0], range[1]),
        },
      ],
    };
  }

  const keyProblems: Problem[] = [];
  checkKeys(contents, lines, file, keyProblems);
  if (keyProblems.length > 0) return { ok: false, problems: keyProblems };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const alias = findFirstAlias(contents);
    return {
      ok: false,
      problems: [
        {
          code: "manifest.yaml-alias",
          message: /alias count/i.test(message)
            ? "The manifest expands aliases (`*name`) too many times (an alias bomb)."
            : `An alias cannot be resolved: ${message}.`,
          fix: "Define each anchor (`&name`) before its aliases (`*name`), or write the values out.",
          location:
            alias === undefined ? { file, line: 1, column: 1 } : locate(lines, file, alias[0], alias[1]),
        },
      ],
    };
  }
  return { ok: true, source: { text, doc, lines, file }, data: data as Record<string, unknown> };
}

function dedupeByPosition(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.code}@${problem.location?.line}:${problem.location?.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Keys must be plain scalars (strings): `? [a, b]` or `null:` keys are problems. */
function checkKeys(node: unknown, lines: LineCounter, file: string, out: Problem[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key) || key.value === null || typeof key.value === "object") {
        const range = (key as Node | null)?.range ?? (pair.value as Node | null)?.range;
        out.push({
          code: "manifest.yaml-syntax",
          message: "A mapping key is not a plain name (a list, a mapping or an empty key).",
          fix: "Write keys as plain names such as `name:`.",
          location:
            range === undefined || range === null
              ? { file, line: 1, column: 1 }
              : locate(lines, file, range[0], range[1]),
        });
        continue;
      }
      checkKeys(pair.value, lines, file, out);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) checkKeys(item, lines, file, out);
  }
}

function findFirstAlias(node: unknown): [number, number] | undefined {
  if (isAlias(node)) return [node.range?.[0] ?? 0, node.range?.[1] ?? 0];
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items as unknown[]) {
      const found = isPair(item)
        ? (findFirstAlias(item.key) ?? findFirstAlias(item.value))
        : findFirstAlias(item);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export interface NodeAt {
  /** The pair holding the value (absent for sequence items and the root). */
  readonly pair?: Pair;
  /** The value node; absent when the key has no value or the path does not exist. */
  readonly node?: Node;
  /** The deepest node found along the path (for paths that do not exist). */
  readonly nearest: Node;
  readonly found: boolean;
}

/** Walks the document along a key path (strings for mapping keys, numbers for list indices). */
export function nodeAt(source: ParsedSource, path: readonly (string | number)[]): NodeAt {
  let current: unknown = source.doc.contents;
  let nearest = source.doc.contents as Node;
  let pair: Pair | undefined;
  for (const segment of path) {
    if (isAlias(current)) current = current.resolve(source.doc);
    if (isMap(current)) {
      const found = current.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (found === undefined) return { nearest, found: false };
      pair = found;
      current = found.value;
      nearest = (found.value as Node | null) ?? (found.key as Node);
    } else if (isSeq(current) && typeof segment === "number") {
      const item = current.items[segment];
      if (item === undefined) return { nearest, found: false };
      pair = undefined;
      current = item;
      nearest = item as Node;
    } else {
      return { nearest, found: false };
    }
  }
  const node = (current as Node | null) ?? undefined;
  return {
    ...(pair === undefined ? {} : { pair }),
    ...(node === undefined ? {} : { node }),
    nearest,
    found: true,
  };
}

/** Location of the value at a path (or of its key when the value is empty). */
export function valueLocation(source: ParsedSource, path: readonly (string | number)[]): SourceLocation {
  const at = nodeAt(source, path);
  const range = at.node?.range;
  const emptyValue = range === undefined || range === null || range[0] === range[1];
  const node = !emptyValue
    ? at.node
    : at.pair !== undefined
      ? (at.pair.key as Node)
      : (at.node ?? at.nearest);
  return rangeLocation(source, node);
}

/** Location of the key at a path (falls back to the value for list items). */
export function keyLocation(source: ParsedSource, path: readonly (string | number)[]): SourceLocation {
  const at = nodeAt(source, path);
  const node = at.pair !== undefined ? (at.pair.key as Node) : (at.node ?? at.nearest);
  return rangeLocation(source, node);
}

function rangeLocation(source: ParsedSource, node: Node | undefined | null): SourceLocation {
  const range = node?.range;
  if (range === undefined || range === null) return { file: source.file, line: 1, column: 1 };
  return locate(source.lines, source.file, range[0], range[1]);
}
