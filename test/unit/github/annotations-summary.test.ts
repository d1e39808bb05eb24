import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  annotateProblems,
  annotationProperties,
  workspaceRelative,
} from "../../../src/adapters/github/annotations.ts";
import {
  capSummary,
  capText,
  STEP_SUMMARY_LIMIT_BYTES,
  utf8Bytes,
  writeJobSummary,
} from "../../../src/adapters/github/summary.ts";
import type { Problem } from "../../../src/core/problems.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

function captureStdout(): { text: () => string } {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  return { text: () => chunks.join("") };
}

const workspace = path.resolve("/home/runner/work/images/images");

describe("annotations", () => {
  it("paths relative to the workspace, forward slashes; outside → none", () => {
    expect(workspaceRelative("images/web.image.yml", workspace)).toBe("images/web.image.yml");
    expect(workspaceRelative(path.join(workspace, "images", "web.image.yml"), workspace)).toBe(
      "images/web.image.yml",
    );
    expect(workspaceRelative("/tmp/out.vhd", workspace)).toBeUndefined();
    expect(workspaceRelative("../other/x.yml", workspace)).toBeUndefined();
  });

  it("single-line location: line and columns", () => {
    const problem: Problem = {
      code: "manifest.unknown-key",
      key: "image.colour",
      message: 'Unknown key "colour".',
      location: { file: "images/web.image.yml", line: 7, column: 3, endColumn: 9 },
    };
    expect(annotationProperties(problem, workspace)).toEqual({
      title: "sig-publish · image.colour",
      file: "images/web.image.yml",
      startLine: 7,
      startColumn: 3,
      endColumn: 9,
    });
  });

  it("multi-line location: no columns (GitHub refuses them)", () => {
    const problem: Problem = {
      code: "x",
      message: "m",
      location: { file: "a.yml", line: 2, column: 1, endLine: 5, endColumn: 4 },
    };
    expect(annotationProperties(problem, workspace)).toEqual({
      title: "sig-publish · x",
      file: "a.yml",
      startLine: 2,
      endLine: 5,
    });
  });

  it("emits ::error file=…,line=…,col=…:: with the fix", () => {
    const out = captureStdout();
    annotateProblems(
      [
        {
          code: "manifest.bad-name",
          key: "gallery.name",
          message: 'gallery.name "my gallery" contains a space.',
          fix: "Use letters, digits, dots and underscores.",
          location: { file: path.join(workspace, "images/web.image.yml"), line: 4, column: 9 },
        },
        { code: "vhd.too-small", message: "The VHD is empty.", location: { file: "/tmp/out.vhd" } },
      ],
      workspace,
    );
    const lines = out.text().trim().split("\n");
    expect(lines[0]).toBe(
      '::error title=sig-publish · gallery.name,file=images/web.image.yml,line=4,col=9::gallery.name "my gallery" contains a space.%0AFix: Use letters, digits, dots and underscores.',
    );
    expect(lines[1]).toBe("::error title=sig-publish · vhd.too-small::The VHD is empty. (/tmp/out.vhd)");
  });

  it("says when GitHub will not show them all", () => {
    const out = captureStdout();
    const many = Array.from({ length: 12 }, (_, i): Problem => ({
      code: "c",
      message: `p${i}`,
      location: { file: "a.yml", line: i + 1 },
    }));
    annotateProblems(many, workspace);
    expect(out.text()).toMatch(/12 problems were found; GitHub shows the first 10/);
  });
});

describe("summary cap", () => {
  it("leaves small summaries alone", () => {
    expect(capSummary("# hi\n")).toEqual({ text: "# hi\n", truncated: false, originalSize: 5 });
  });

  it("keeps a big summary under 1 MiB, cut at a line, with a note", () => {
    const line = "| eastus | Replicating | 42% | ünïcödé ✓ |\n";
    const huge = `# Plan\n\n${line.repeat(60_000)}`;
    expect(utf8Bytes(huge)).toBeGreaterThan(STEP_SUMMARY_LIMIT_BYTES);
    const capped = capSummary(huge);
    expect(capped.truncated).toBe(true);
    expect(utf8Bytes(capped.text)).toBeLessThan(STEP_SUMMARY_LIMIT_BYTES);
    expect(capped.text).toMatch(
      /This summary was truncated: it is [\d.]+ MiB and GitHub accepts at most 1 MiB/,
    );
    const body = capped.text.slice(0, capped.text.indexOf("\n\n> [!WARNING]"));
    expect(body.endsWith("✓ |")).toBe(true);
    expect(capped.text).not.toMatch(/\uFFFD/);
  });

  it("closes an open code fence and <details>", () => {
    const text = `<details><summary>plan</summary>\n\n\`\`\`json\n${'{"a": 1}\n'.repeat(1000)}\`\`\`\n</details>\n`;
    const capped = capText(text, 2000, utf8Bytes, () => "note");
    expect(capped.text.match(/```/g)).toHaveLength(2);
    expect(capped.text).toMatch(/<\/details>/);
    expect(utf8Bytes(capped.text)).toBeLessThanOrEqual(2000);
  });

  it("never splits a surrogate pair", () => {
    const capped = capText(
      "😀".repeat(1000),
      1001,
      (s) => s.length,
      () => "n",
    );
    expect(capped.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("writes through core.summary, counting what the step already wrote", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sig-summary-"));
    const file = path.join(dir, "summary.md");
    writeFileSync(file, "earlier\n");
    const previous = process.env["GITHUB_STEP_SUMMARY"];
    process.env["GITHUB_STEP_SUMMARY"] = file;
    captureStdout();
    try {
      const result = await writeJobSummary("x".repeat(5000), { budgetBytes: 2000 });
      expect(result).toMatchObject({ written: true, truncated: true });
      const written = readFileSync(file, "utf8");
      expect(written.startsWith("earlier\n")).toBe(true);
      expect(utf8Bytes(written)).toBeLessThanOrEqual(2000);
    } finally {
      if (previous === undefined) delete process.env["GITHUB_STEP_SUMMARY"];
      else process.env["GITHUB_STEP_SUMMARY"] = previous;
    }
  });

  it("without GITHUB_STEP_SUMMARY writes nothing and does not fail", async () => {
    captureStdout();
    expect(await writeJobSummary("x", { env: {} })).toEqual({ written: false, truncated: false, bytes: 0 });
  });
});
