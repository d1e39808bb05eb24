/**
 * Runs ../shared/azure-specs/validate-traffic.mjs (oav LiveValidator, from this project's
 * node_modules) on recorded ARM traffic and returns its JSON report.
 *
 *   const specs = azureSpecsDir();              // undefined when ../shared/azure-specs is absent
 *   const report = await validateTraffic(arm.trafficFile);
 *   expect(report.summary.failed).toBe(0);
 *   expect(unexpectedSkips(report)).toEqual([]); // only LRO status polls may be unmatched
 *
 * The emulator's operation-status URLs (…/locations/<region>/capsOperations|DiskOperations/<id>)
 * are not in GalleryRP/DiskRP, so validation runs with --allow-unmatched by default and
 * unexpectedSkips() reports any other unmatched record.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface TrafficIssue {
  readonly where: string;
  readonly code: string;
  readonly path: string;
  readonly message: string;
}

export interface TrafficRecordResult {
  readonly line: number;
  readonly status: "PASS" | "FAIL" | "SKIP";
  readonly method?: string;
  readonly url?: string;
  readonly statusCode?: string;
  readonly operationId?: string;
  readonly apiVersion?: string;
  readonly issues: readonly TrafficIssue[];
}

export interface TrafficReport {
  readonly summary: { readonly passed: number; readonly failed: number; readonly skipped: number };
  readonly results: readonly TrafficRecordResult[];
  readonly exitCode: number;
  readonly stderr: string;
}

export interface ValidateTrafficOptions {
  /** Unmatched records (LRO status polls) become SKIP instead of FAIL. Default true. */
  readonly allowUnmatched?: boolean;
  /** oav codes to drop. */
  readonly ignore?: readonly string[];
  /** Folder that holds specification/ and validate-traffic.mjs. Default: azureSpecsDir(). */
  readonly specsDir?: string;
}

/** The project root (where package.json and node_modules are). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** `<project>/../shared/azure-specs` when it exists (with validate-traffic.mjs), else undefined. */
export function azureSpecsDir(): string | undefined {
  const dir = resolve(PROJECT_ROOT, "..", "shared", "azure-specs");
  return existsSync(join(dir, "validate-traffic.mjs")) && existsSync(join(dir, "specification"))
    ? dir
    : undefined;
}

/** Validates one JSON-lines traffic file. Throws when the validator cannot run (exit code 2). */
export async function validateTraffic(
  file: string,
  options: ValidateTrafficOptions = {},
): Promise<TrafficReport> {
  const specs = options.specsDir ?? azureSpecsDir();
  if (specs === undefined) throw new Error("../shared/azure-specs not found: cannot validate traffic");
  const args = [join(specs, "validate-traffic.mjs"), file, "--json"];
  if (options.allowUnmatched !== false) args.push("--allow-unmatched");
  if (options.ignore !== undefined && options.ignore.length > 0)
    args.push("--ignore", options.ignore.join(","));
  // The validator ends with process.exit() right after writing its report: through a pipe, whatever
  // the pipe had not taken yet is lost. A file as its stdout is written synchronously, so the report
  // arrives whole however large the traffic.
  const outDir = mkdtempSync(join(tmpdir(), "sig-publish-oav-"));
  const outFile = join(outDir, "report.json");
  const outFd = openSync(outFile, "w");
  let code: number;
  let stderr = "";
  let stdout: string;
  try {
    code = await new Promise<number>((done) => {
      const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ["ignore", outFd, "pipe"] });
      const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", () => done(2));
      child.on("exit", (exit) => {
        clearTimeout(timer);
        done(exit ?? 2);
      });
    });
    stdout = readFileSync(outFile, "utf8");
  } finally {
    closeSync(outFd);
    rmSync(outDir, { recursive: true, force: true });
  }
  if (code !== 0 && code !== 1) {
    throw new Error(`validate-traffic.mjs failed (exit ${code}):\n${stderr}\n${stdout.slice(0, 2000)}`);
  }
  const parsed = parseReport(stdout);
  return { summary: parsed.summary, results: parsed.results, exitCode: code, stderr };
}

/**
 * oav 4.0.3 prints stray lines (e.g. "error" for GETs with $expand) to stdout in the middle of the
 * report; the report itself is pretty-printed JSON whose inner lines are indented, so keep only
 * "{", "}" and indented lines when the raw output does not parse.
 */
function parseReport(stdout: string): { summary: TrafficReport["summary"]; results: TrafficRecordResult[] } {
  try {
    return JSON.parse(stdout) as { summary: TrafficReport["summary"]; results: TrafficRecordResult[] };
  } catch {
    const kept = stdout.split(/\r?\n/).filter((l) => l === "{" || l === "}" || l.startsWith(" "));
    return JSON.parse(kept.join("\n")) as {
      summary: TrafficReport["summary"];
      results: TrafficRecordResult[];
    };
  }
}

/** Concatenates several traffic files and validates them in one validator run. */
export async function validateTrafficFiles(
  files: readonly string[],
  options: ValidateTrafficOptions = {},
): Promise<TrafficReport> {
  const dir = mkdtempSync(join(tmpdir(), "sig-publish-traffic-"));
  try {
    const all = join(dir, "all.jsonl");
    writeFileSync(all, files.map((f) => readFileSync(f, "utf8")).join("\n"));
    return await validateTraffic(all, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True for the emulator's LRO status URLs (not described by GalleryRP/DiskRP). */
export function isOperationStatusUrl(url: string | undefined): boolean {
  return /\/providers\/Microsoft\.Compute\/locations\/[^/]+\/(capsOperations|DiskOperations)\/[^/?]+/i.test(
    url ?? "",
  );
}

/** SKIP records other than LRO status polls (should be empty). */
export function unexpectedSkips(report: TrafficReport): TrafficRecordResult[] {
  return report.results.filter((r) => r.status === "SKIP" && !isOperationStatusUrl(r.url));
}

/**
 * A request the spec rejects (e.g. a gallery name that breaks the path pattern) that the emulator
 * also rejected with a 4xx: a deliberate negative test, not a mismatch.
 */
export function isRejectedInvalidRequest(r: TrafficRecordResult): boolean {
  return (
    r.status === "FAIL" &&
    /^4\d\d$/.test(String(r.statusCode ?? "")) &&
    r.issues.length > 0 &&
    r.issues.every((i) => i.where === "request")
  );
}

/**
 * FAIL records that matter: any response issue, and any request issue on an exchange the emulator
 * accepted (2xx/5xx). Requests the spec rejects and the emulator also rejected with 4xx are left out.
 */
export function blockingFailures(report: TrafficReport): TrafficRecordResult[] {
  return report.results.filter((r) => r.status === "FAIL" && !isRejectedInvalidRequest(r));
}

/** Human-readable list of FAIL records with their oav issues. */
export function formatFailures(report: TrafficReport, only?: readonly TrafficRecordResult[]): string {
  return (only ?? report.results.filter((r) => r.status === "FAIL"))
    .map((r) => {
      let p = r.url ?? "";
      try {
        p = new URL(p).pathname;
      } catch {
        // keep as is
      }
      const issues = r.issues.map(
        (i) => `    ${i.where} ${i.code}${i.path ? ` at ${i.path}` : ""}: ${i.message}`,
      );
      return [
        `FAIL line ${r.line}: ${r.method ?? ""} ${p} -> ${r.statusCode ?? ""} [${r.operationId ?? "?"}]`,
        ...issues,
      ].join("\n");
    })
    .join("\n");
}
