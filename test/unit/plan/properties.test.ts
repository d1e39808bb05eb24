import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildPlan,
  decideVersion,
  escapeMarkdown,
  renderPlanMarkdown,
  retentionCandidates,
} from "../../../src/core/plan/index.ts";
import { makeManifest } from "../../helpers/manifest-fixtures.ts";

const part = fc.integer({ min: 0, max: 20 });
const versionName = fc.tuple(part, part, part).map(([a, b, c]) => `${a}.${b}.${c}`);

describe("plan properties", () => {
  it("retention keeps the newest N (counting the new one) and never deletes the new version", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(versionName, { maxLength: 20 }),
        versionName,
        fc.integer({ min: 0, max: 25 }),
        (existing, fresh, keep) => {
          const doomed = retentionCandidates(keep, fresh, existing);
          const all = new Set([...existing, fresh]);
          expect(doomed).not.toContain(fresh);
          expect(doomed.every((d) => all.has(d))).toBe(true);
          const kept = all.size - doomed.length;
          expect(kept).toBeGreaterThanOrEqual(Math.min(Math.max(keep, 1), all.size));
          expect(kept).toBeLessThanOrEqual(Math.max(keep, 0) + 1);
        },
      ),
    );
  });

  it("escaped text contains no raw HTML, pipes, backticks or newlines", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii" }), (text) => {
        const escaped = escapeMarkdown(text);
        expect(escaped).not.toMatch(/[<>\n\r]/);
        expect(escaped.replace(/\\[|`]/g, "")).not.toMatch(/[|`]/);
      }),
    );
  });

  it("no user-controlled string can add a table cell or raw HTML to the markdown", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
        fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
        (file, desc) => {
          const manifest = makeManifest({ file, image: { description: desc, name: `img${file}` } });
          const md = renderPlanMarkdown(
            buildPlan({
              manifest,
              version: decideVersion({ bump: "patch", existing: undefined }),
              azure: undefined,
              mode: "plan",
            }),
          );
          const html = md.replace(/<\/?code>|<br>/g, "");
          expect(html).not.toMatch(/<[A-Za-z/!?]/);
          for (const line of md.split("\n").filter((l) => l.startsWith("| "))) {
            const cells = line.replace(/\\\|/g, "").split("|").length;
            expect([6, 7]).toContain(cells);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
