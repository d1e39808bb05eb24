import { execFile } from "node:child_process";
import { get } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startArmEmulator, type ArmEmulator } from "../../emulator/index.ts";

/** GET <url> with Node's default trust store; resolves with the status code. */
function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject);
  });
}

describe("emulator TLS trust", () => {
  let arm: ArmEmulator;
  beforeAll(async () => {
    // trustInProcess: false — the worker must trust the certificate from NODE_EXTRA_CA_CERTS alone.
    arm = await startArmEmulator({ trustInProcess: false });
  });
  afterAll(async () => {
    await arm.stop();
  });

  it("the global setup's certificate reaches the forked worker through NODE_EXTRA_CA_CERTS", async () => {
    expect(process.env["SIG_PUBLISH_TEST_CA_DIR"]).toBeTruthy();
    expect(process.env["NODE_EXTRA_CA_CERTS"]).toBe(arm.caCertPath);
    // No Authorization header: the TLS handshake succeeds and ARM answers 401.
    expect(
      await httpsStatus(
        `${arm.endpoint}/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries?api-version=2025-12-03`,
      ),
    ).toBe(401);
  });

  it("a child process trusts it with NODE_EXTRA_CA_CERTS=caCertPath", async () => {
    const script = `require("node:https").get(process.argv[1], (r) => { console.log(r.statusCode); r.resume(); }).on("error", (e) => { console.log(e.code); });`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          "-e",
          script,
          `${arm.endpoint}/subscriptions/s/providers/Microsoft.Compute/disks?api-version=2026-03-02`,
        ],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: arm.caCertPath } },
        (error, stdout) => (error === null ? resolve(stdout.trim()) : reject(error)),
      );
    });
    expect(out).toBe("401");
  });

  it("a child process without it rejects the certificate", async () => {
    const script = `require("node:https").get(process.argv[1], (r) => { console.log(r.statusCode); r.resume(); }).on("error", (e) => { console.log(e.code); });`;
    const env = { ...process.env };
    delete env["NODE_EXTRA_CA_CERTS"];
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["-e", script, arm.endpoint], { env }, (error, stdout) =>
        error === null ? resolve(stdout.trim()) : reject(error),
      );
    });
    expect(out).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
  });
});
