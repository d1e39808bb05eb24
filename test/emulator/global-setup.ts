/**
 * vitest globalSetup: generates the ARM emulator's self-signed certificate once per test run, in a
 * temporary folder, and exports
 *   NODE_EXTRA_CA_CERTS=<dir>/cert.pem   (read by Node at process start)
 *   SIG_PUBLISH_TEST_CA_DIR=<dir>        (startArmEmulator() reuses cert.pem/key.pem from there)
 * in the main vitest process. vitest 5 builds each fork's environment from `process.env` when it
 * schedules the test files, which happens after the global setup ran, so every worker starts
 * trusting the certificate (checked by test/integration/emulator/tls-trust.test.ts). If that ever
 * stops being true, startArmEmulator() still works in-process: it falls back to
 * tls.setDefaultCACertificates (Node 24.5+).
 */
import { rmSync } from "node:fs";
import { CA_DIR_ENV, ensureTlsMaterial } from "./cert.ts";

export default function setup(): () => void {
  const previous = {
    extra: process.env["NODE_EXTRA_CA_CERTS"],
    dir: process.env[CA_DIR_ENV],
  };
  const material = ensureTlsMaterial();
  process.env["NODE_EXTRA_CA_CERTS"] = material.certPath;
  process.env[CA_DIR_ENV] = material.dir;
  return () => {
    restore("NODE_EXTRA_CA_CERTS", previous.extra);
    restore(CA_DIR_ENV, previous.dir);
    rmSync(material.dir, { recursive: true, force: true });
  };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
