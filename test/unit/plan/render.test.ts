import { describe, expect, it } from "vitest";
import {
  MAX_MARKDOWN_CHARS,
  buildPlan,
  capMarkdown,
  decideVersion,
  escapeMarkdown,
  planToJson,
  planToObject,
  renderPlanMarkdown,
  renderPlanText,
} from "../../../src/core/plan/index.ts";
import type { AzureFacts, Plan } from "../../../src/core/plan/index.ts";
import { makeManifest, region } from "../../helpers/manifest-fixtures.ts";

function freshPlan(overrides: Parameters<typeof makeManifest>[0] = {}, azure?: AzureFacts): Plan {
  const manifest = makeManifest({ gallery: { create: true }, ...overrides });
  return buildPlan({
    manifest,
    version: decideVersion({ manifestNumber: "1.4.0", bump: "patch", existing: azure?.versions }),
    azure,
    disks: [
      {
        role: "os",
        path: "out/ubuntu-web.vhd",
        format: "fixed",
        virtualSize: 32 * 1024 ** 3,
        blobSize: 32 * 1024 ** 3 + 512,
      },
    ],
    mode: "plan",
  });
}

describe("escapeMarkdown", () => {
  it.each([
    ["a|b", "a\\|b"],
    ["`code`", "\\`code\\`"],
    ["<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"],
    ["**bold** _it_ [x](y)", "\\*\\*bold\\*\\* \\_it\\_ \\[x\\]\\(y\\)"],
    ["line1\nline2\r\nline3", "line1 line2 line3"],
    ["a & b", "a &amp; b"],
    ["back\\slash", "back\\\\slash"],
    ["plain-text 1.2.3", "plain-text 1.2.3"],
  ])("%j → %j", (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });
});

describe("renderPlanMarkdown", () => {
  it("has a heading with the version, a steps table and a regions table", () => {
    const md = renderPlanMarkdown(
      freshPlan(
        {},
        { gallery: { exists: false }, versions: [], stagingContainerExists: false, existingBlobs: [] },
      ),
    );
    const lines = md.split("\n");
    expect(lines[0]).toBe("## sig-publish Plan: ubuntu-web 1.4.0");
    expect(md).toContain("**Version 1.4.0**: 1.4.0 from version.number: the gallery holds no version yet.");
    expect(lines).toContain("| # | Action | Resource | Name | Why |");
    expect(lines).toContain(
      "| 2 | **create** | gallery | <code>contosoGallery</code> | Missing; gallery.create is true: created in rg-images \\(westeurope\\). |",
    );
    expect(lines).toContain("| westeurope | 1 | Standard\\_LRS | source |");
    expect(lines).toContain("| eastus | 2 | Standard\\_ZRS |  |");
    expect(md).toContain("### Target regions (Full replication, promote afterReplication)");
    expect(md).toContain("| os | <code>out/ubuntu-web.vhd</code> | fixed | 32.0 GiB | not computed |");
    expect(md).not.toContain("[!CAUTION]");
  });

  it("says 'at least' and explains unknown steps without credentials", () => {
    const md = renderPlanMarkdown(freshPlan());
    expect(md.split("\n")[0]).toBe("## sig-publish Plan: ubuntu-web at least 1.4.0");
    expect(md).toContain("> [!NOTE]");
    expect(md).toContain("| *unknown* | gallery |");
  });

  it("renders blockers as CAUTION and warnings as WARNING alerts", () => {
    const md = renderPlanMarkdown(
      freshPlan(
        { gallery: { create: false }, image: { securityType: "ConfidentialVM" } },
        { gallery: { exists: false }, versions: [] },
      ),
    );
    expect(md).toMatch(/> \[!CAUTION\]\n> \*\*Blocked\*\*/);
    expect(md).toContain("> - Gallery contosoGallery does not exist in resource group rg-images");
    expect(md).toContain("**Fix:** Set gallery.create: true");
    expect(md).toMatch(/> \[!WARNING\]\n> - staging.via is blob/);
    expect(md).toContain("| **CONFLICT** | gallery |");
  });

  it("escapes user strings: pipes, backticks and HTML cannot break the table", () => {
    const plan = freshPlan({
      file: "images/we|ird`<b>.yml",
      image: { name: "ubuntu|web" },
      version: { targetRegions: [region("west<script>europe")] },
      gallery: { location: "west<script>europe", create: true },
    });
    const md = renderPlanMarkdown(plan);
    expect(md).not.toContain("<script>");
    expect(md).not.toContain("<b>");
    expect(md).toContain("ubuntu\\|web");
    expect(md).toContain("images/we\\|ird\\`&lt;b&gt;.yml");
    for (const line of md.split("\n").filter((l) => l.startsWith("| "))) {
      // Every unescaped pipe is a cell border: the number of cells per row matches its header.
      const cells = line.replace(/\\\|/g, "").split("|").length;
      expect([6, 7].includes(cells)).toBe(true);
    }
  });

  it("cuts long lists with '… and N more' and stays small", () => {
    const versions = Array.from({ length: 400 }, (_, i) => ({
      name: `1.0.${i}`,
      provisioningState: "Succeeded",
    }));
    const plan = freshPlan(
      { retention: { keep: 1 } },
      {
        gallery: { exists: true },
        imageDefinition: { exists: false },
        versions,
        stagingContainerExists: true,
        existingBlobs: [],
      },
    );
    expect(plan.steps.length).toBeGreaterThan(400);
    const md = renderPlanMarkdown(plan);
    expect(md).toMatch(/… and \d+ more steps/);
    expect(md.length).toBeLessThan(MAX_MARKDOWN_CHARS);
    expect(new TextEncoder().encode(md).length).toBeLessThan(1024 * 1024);
  });

  it("caps arbitrary text at a line boundary", () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(50)}`).join("\n");
    const capped = capMarkdown(text, 10_000);
    expect(capped.length).toBeLessThanOrEqual(10_000);
    expect(capped).toContain("the plan was cut here");
    expect(capMarkdown("short", 10_000)).toBe("short");
  });

  it("lists definition changes in the step row", () => {
    const plan = freshPlan(
      {},
      {
        gallery: { exists: true, location: "westeurope" },
        imageDefinition: {
          exists: true,
          properties: {
            location: "westeurope",
            osType: "Windows",
            osState: "Generalized",
            hyperVGeneration: "V2",
            architecture: "x64",
            publisher: "Contoso",
            offer: "WebServer",
            sku: "ubuntu-24-gen2",
            features: {
              SecurityType: "TrustedLaunchSupported",
              IsAcceleratedNetworkSupported: "true",
              DiskControllerTypes: "SCSI,NVMe",
            },
          },
        },
        versions: [],
      },
    );
    const md = renderPlanMarkdown(plan);
    expect(md).toContain(
      "| **CONFLICT** | image definition | <code>ubuntu-web</code> | Immutable properties differ:<br>osType: Windows → Linux |",
    );
  });
});

describe("planToJson", () => {
  it("is stable, versioned and free of undefined", () => {
    const plan = freshPlan();
    const json = planToJson(plan);
    expect(planToJson(plan)).toBe(json);
    const parsed = JSON.parse(json) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([
      "schemaVersion",
      "mode",
      "manifestFile",
      "target",
      "readAccess",
      "ok",
      "version",
      "via",
      "replicationMode",
      "promote",
      "targetRegions",
      "disks",
      "steps",
      "warnings",
      "blockers",
    ]);
    expect(parsed).toMatchObject({
      schemaVersion: 1,
      mode: "plan",
      readAccess: false,
      ok: true,
      version: { value: "1.4.0", lowerBound: true, reason: "manifest", resume: false, blocked: false },
      target: {
        gallery: "contosoGallery",
        resourceGroup: "rg-images",
        imageDefinition: "ubuntu-web",
        location: "westeurope",
      },
    });
    expect(json).not.toContain("undefined");
    expect(planToObject(plan)).toEqual(parsed);
    expect(JSON.parse(planToJson(plan, 2))).toEqual(parsed);
  });
});

describe("renderPlanText", () => {
  it("prints a readable summary for the terminal", () => {
    const text = renderPlanText(freshPlan());
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      "Plan: ubuntu-web at least 1.4.0 → gallery contosoGallery (rg-images, westeurope), via blob",
    );
    expect(text).toContain("Steps:");
    expect(text).toMatch(
      / {2}1\. acquire +lock +contosoimages\/vhds\/locks\/contosoGallery\/ubuntu-web\.lock/,
    );
    expect(text).toMatch(/westeurope +1 replica +Standard_LRS {2}\(source\)/);
    expect(text).not.toContain("|");
  });
});
