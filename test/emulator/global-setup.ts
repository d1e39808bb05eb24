/**
 * vitest globalSetup for the ARM emulator.
 *
 * 1. Certificate: generates the emulator's self-signed certificate once per test run, in a temporary
 *    folder, and exports in the main vitest process
 *      NODE_EXTRA_CA_CERTS=<dir>/cert.pem   (read by Node at process start)
 *      SIG_PUBLISH_TEST_CA_DIR=<dir>        (startArmEmulator() reuses cert.pem/key.pem from there)
 *    vitest 5 builds each fork's environment from `process.env` when it schedules the test files,
 *    which happens after the global setup ran, so every worker starts trusting the certificate
 *    (checked by test/integration/emulator/tls-trust.test.ts). Should that ever stop being true,
 *    startArmEmulator() still works in-process: it falls back to tls.setDefaultCACertificates.
 * 2. Traffic: points SIG_PUBLISH_TRAFFIC_DIR at a temporary folder, so every emulator started by any
 *    test records there, and at teardown validates ALL of it against ../shared/azure-specs with
 *    validate-traffic.mjs (LRO status polls and deliberately unmatched requests are SKIP). Any FAIL
 *    fails the run (the teardown throws and sets process.exitCode), except requests the spec
 *    rejects that the emulator rejected too with a 4xx (negative tests; see blockingFailures()). Skipped with a note when
 *    ../shared/azure-specs is absent; opt out with SIG_PUBLISH_SKIP_SUITE_TRAFFIC_VALIDATION=1.
 *    SIG_PUBLISH_KEEP_TRAFFIC=1 keeps the folder (its path is printed).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { azureSpecsDir, blockingFailures, formatFailures, validateTrafficFiles } from "../harness/traffic.ts";
import { CA_DIR_ENV, ensureTlsMaterial } from "./cert.ts";

const TRAFFIC_ENV = "SIG_PUBLISH_TRAFFIC_DIR";

export default function setup(): () => Promise<void> {
  const previous = {
    extra: process.env["NODE_EXTRA_CA_CERTS"],
    dir: process.env[CA_DIR_ENV],
    traffic: process.env[TRAFFIC_ENV],
  };
  const material = ensureTlsMaterial();
  process.env["NODE_EXTRA_CA_CERTS"] = material.certPath;
  process.env[CA_DIR_ENV] = material.dir;
  const ownTraffic = previous.traffic === undefined || previous.traffic === "";
  const trafficDir = ownTraffic
    ? mkdtempSync(join(tmpdir(), "sig-publish-suite-traffic-"))
    : (previous.traffic as string);
  process.env[TRAFFIC_ENV] = trafficDir;

  return async () => {
    restore("NODE_EXTRA_CA_CERTS", previous.extra);
    restore(CA_DIR_ENV, previous.dir);
    restore(TRAFFIC_ENV, previous.traffic);
    rmSync(material.dir, { recursive: true, force: true });
    try {
      await validateSuiteTraffic(trafficDir);
    } finally {
      if (ownTraffic && process.env["SIG_PUBLISH_KEEP_TRAFFIC"] === undefined) {
        rmSync(trafficDir, { recursive: true, force: true });
      } else {
        console.info(`ARM traffic kept in ${trafficDir}`);
      }
    }
  };
}

async function validateSuiteTraffic(dir: string): Promise<void> {
  if (process.env["SIG_PUBLISH_SKIP_SUITE_TRAFFIC_VALIDATION"] === "1") return;
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".jsonl"))
      .map((f) => join(dir, f));
  } catch {
    return;
  }
  if (files.length === 0) return;
  if (azureSpecsDir() === undefined) {
    console.warn("../shared/azure-specs not found: traffic validation skipped");
    return;
  }
  const report = await validateTrafficFiles(files);
  const { passed, failed, skipped } = report.summary;
  const blocking = blockingFailures(report);
  console.info(
    `ARM traffic of the whole run (${files.length} emulator${files.length === 1 ? "" : "s"}): ${passed} passed, ` +
      `${failed} failed (${failed - blocking.length} of them invalid requests the emulator rejected with 4xx), ` +
      `${skipped} skipped (LRO status polls, unmatched api-versions) — validate-traffic.mjs`,
  );
  if (blocking.length > 0) {
    process.exitCode = 1;
    throw new Error(
      `Recorded ARM traffic does not match the Azure specs:\n${formatFailures(report, blocking)}`,
    );
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
