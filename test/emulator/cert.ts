/**
 * Self-signed TLS material for the ARM emulator (CN=localhost, SAN localhost + 127.0.0.1),
 * generated with the openssl CLI, and the ways a Node process can come to trust it.
 *
 * Trust: Node reads NODE_EXTRA_CA_CERTS only at process start, so
 *  - a child process gets `NODE_EXTRA_CA_CERTS=<dir>/cert.pem` in its environment;
 *  - vitest workers inherit it from test/emulator/global-setup.ts (which sets the variable in the
 *    main vitest process before the forks are spawned);
 *  - a process that is already running (plain `node scripts/demo.mjs`, or a test run without the
 *    global setup) is made to trust it with `tls.setDefaultCACertificates` (Node >= 24.5), see
 *    trustCertificateInProcess().
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";

export interface TlsMaterial {
  /** Folder holding cert.pem and key.pem. */
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
}

/** Environment variable naming a folder with cert.pem/key.pem that the emulator should reuse. */
export const CA_DIR_ENV = "SIG_PUBLISH_TEST_CA_DIR";

/** Reads cert.pem/key.pem from `dir`, generating them first when either is missing. */
export function ensureTlsMaterial(dir?: string): TlsMaterial {
  const folder = dir ?? mkdtempSync(join(tmpdir(), "sig-publish-arm-tls-"));
  mkdirSync(folder, { recursive: true });
  const certPath = join(folder, "cert.pem");
  const keyPath = join(folder, "key.pem");
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  }
  return {
    dir: folder,
    certPath,
    keyPath,
    cert: readFileSync(certPath, "utf8"),
    key: readFileSync(keyPath, "utf8"),
  };
}

/** True when this process was started with NODE_EXTRA_CA_CERTS pointing at `certPath`. */
export function trustedAtStartup(certPath: string): boolean {
  return process.env["NODE_EXTRA_CA_CERTS"] === certPath;
}

const trustedInProcess = new Set<string>();

/**
 * Adds `certPem` to this process's default CA list (affects TLS connections made afterwards that
 * do not pass their own `ca`, which is what the Azure SDK's Node HTTP client does). Needs Node
 * 24.5+; returns false (and changes nothing) where tls.setDefaultCACertificates is missing.
 */
export function trustCertificateInProcess(certPem: string): boolean {
  if (trustedInProcess.has(certPem)) return true;
  const api = tls as unknown as {
    setDefaultCACertificates?: (certs: string[]) => void;
    getCACertificates?: (type?: string) => string[];
  };
  if (typeof api.setDefaultCACertificates !== "function" || typeof api.getCACertificates !== "function") {
    return false;
  }
  const current = api.getCACertificates("default");
  api.setDefaultCACertificates([...current, certPem]);
  trustedInProcess.add(certPem);
  return true;
}
