/**
 * `update-manifest: true`: write the chosen version into `version.number`, changing nothing else
 * (comments, blank lines, quoting, key order and the rest of the layout stay byte for byte).
 */
import { LineCounter, isMap, isScalar, parseDocument } from "yaml";
import type { Node, Pair, Scalar } from "yaml";
import { InputError } from "../problems.ts";
import { checkVersionNumber } from "./naming.ts";

/**
 * Returns the manifest text with `version.number` set to `newVersion`. An existing scalar is
 * replaced in place (keeping its quote style); a missing `number` is inserted as the first key of a
 * block `version:` mapping; a missing `version:` section is appended at the end.
 */
export function updateManifestVersion(text: string, newVersion: string): string {
  const reason = checkVersionNumber(newVersion);
  if (reason !== undefined) {
    throw new InputError({
      code: "version.invalid",
      message: `Cannot write version ${JSON.stringify(newVersion)} into the manifest: it ${reason}.`,
      fix: "Pass MAJOR.MINOR.PATCH, e.g. 1.4.0.",
    });
  }
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = bom === "" ? text : text.slice(1);
  const lines = new LineCounter();
  const doc = parseDocument(body, { lineCounter: lines, keepSourceTokens: true });
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new InputError({
      code: "manifest.yaml-syntax",
      message: "Cannot update version.number: the manifest is not a valid YAML mapping.",
      fix: "Fix the manifest first (run `sig-publish plan`).",
    });
  }
  const newline = body.includes("\r\n") ? "\r\n" : "\n";
  const versionPair = doc.contents.items.find(
    (item) => isScalar(item.key) && item.key.value === "version",
  ) as Pair<Scalar, unknown> | undefined;

  if (versionPair === undefined || versionPair.value === null || isScalar(versionPair.value)) {
    if (versionPair !== undefined) {
      // `version:` with no value: put the mapping under it.
      const keyNode = versionPair.key as Node;
      const end = lineEnd(body, keyNode.range?.[1] ?? 0);
      const valueNode = versionPair.value as Node | null;
      if (valueNode !== null && isScalar(valueNode) && valueNode.value !== null) {
        throw notAMapping();
      }
      return bom + body.slice(0, end) + `${newline}  number: ${newVersion}` + body.slice(end);
    }
    const separator = body === "" || body.endsWith("\n") ? "" : newline;
    return `${bom}${body}${separator}version:${newline}  number: ${newVersion}${newline}`;
  }

  const version = versionPair.value;
  if (!isMap(version)) throw notAMapping();
  const numberPair = version.items.find((item) => isScalar(item.key) && item.key.value === "number") as
    Pair<Scalar, unknown> | undefined;

  const numberRange = isScalar(numberPair?.value) ? numberPair.value.range : undefined;
  if (
    numberPair !== undefined &&
    isScalar(numberPair.value) &&
    numberRange &&
    numberRange[0] !== numberRange[1]
  ) {
    const scalar = numberPair.value;
    const [start, end] = scalar.range ?? [0, 0];
    const replacement =
      scalar.type === "QUOTE_DOUBLE"
        ? `"${newVersion}"`
        : scalar.type === "QUOTE_SINGLE"
          ? `'${newVersion}'`
          : newVersion;
    return bom + body.slice(0, start) + replacement + body.slice(end);
  }
  if (numberPair !== undefined) {
    // `number:` without a value: write the value after the colon.
    const keyNode = numberPair.key as Node;
    const colon = body.indexOf(":", keyNode.range?.[1] ?? 0);
    return bom + body.slice(0, colon + 1) + ` ${newVersion}` + body.slice(colon + 1);
  }
  if (version.flow === true) {
    const [start] = version.range ?? [0];
    const open = body.indexOf("{", start);
    const empty = version.items.length === 0;
    return (
      bom + body.slice(0, open + 1) + ` number: ${newVersion}${empty ? " " : ","}` + body.slice(open + 1)
    );
  }
  const first = version.items[0]?.key as Node | undefined;
  const offset = first?.range?.[0] ?? 0;
  const column = lines.linePos(offset).col;
  const lineStart = offset - (column - 1);
  const indent = " ".repeat(column - 1);
  return bom + body.slice(0, lineStart) + `${indent}number: ${newVersion}${newline}` + body.slice(lineStart);
}

function lineEnd(text: string, offset: number): number {
  const index = text.indexOf("\n", offset);
  if (index < 0) return text.length;
  return text[index - 1] === "\r" ? index - 1 : index;
}

function notAMapping(): InputError {
  return new InputError({
    code: "manifest.wrong-type",
    key: "version",
    message: "Cannot update version.number: `version` is not a mapping.",
    fix: "Write `version:` with `number: 1.0.0` indented under it.",
  });
}
