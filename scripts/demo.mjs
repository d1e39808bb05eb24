// `npm run demo`: a real publish into local Azure, end to end, with the bundled CLI.
//
// 1. starts Azurite (blob storage) and the project's ARM Compute emulator on loopback;
// 2. writes a demo manifest and generates a sparse 4 GiB fixed VHD with a few MiB of data;
// 3. runs `node dist/cli/index.js publish` exactly as a user would (static token: emulator only);
// 4. prints the job summary, then `status`, then stops everything.
//
// Runs under Node 24 (npm puts node_modules/.bin/node first), which imports the TypeScript
// harness directly.
import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  writeSync,
  ftruncateSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { startLocalAzure } from "../test/harness/local-azure.ts";
import { buildFixedFooter } from "../src/core/vhd/footer.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function writeSparseVhd(file, virtualSize) {
  const fd = openSync(file, "w");
  try {
    ftruncateSync(fd, virtualSize + 512);
    // A boot sector, a "filesystem" scattered over the disk, and its backup at the end.
    const chunks = [
      [0, 1 * MiB],
      [64 * MiB, 6 * MiB],
      [1 * GiB + 3 * MiB, 5 * MiB],
      [2 * GiB + 512 * 1024, 3 * MiB],
      [virtualSize - 2 * MiB, 2 * MiB],
    ];
    for (const [offset, length] of chunks) writeSync(fd, randomBytes(length), 0, length, offset);
    writeSync(fd, buildFixedFooter({ currentSize: virtualSize }), 0, 512, virtualSize);
  } finally {
    closeSync(fd);
  }
}

const manifest = (subscription) => `# Demo image manifest (see README › Manifest reference)
gallery:
  subscription: ${subscription}
  resourceGroup: rg-images
  name: demoGallery
  location: westeurope
  create: true
image:
  name: ubuntu-web
  publisher: Contoso
  offer: WebServer
  sku: ubuntu-24-gen2
  osType: Linux
  osState: Generalized
  hyperVGeneration: V2
  architecture: x64
  features: { IsAcceleratedNetworkSupported: "true", DiskControllerTypes: "SCSI,NVMe" }
  description: Demo web server image
  tags: { team: platform }
version:
  number: 1.0.0
  bump: patch
  replicaCount: 1
  storageAccountType: Standard_LRS
  promote: afterReplication
  endOfLifeDate: P180D
  targetRegions:
    - westeurope
    - eastus=2=Standard_ZRS
    - name: southeastasia
      replicas: 1
      storageAccountType: Premium_LRS
disks:
  os: out/ubuntu-web.vhd
staging:
  storageAccount: devstoreaccount1
  container: vhds
  via: snapshot
  cleanup: true
retention:
  keep: 5
`;

function run(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, "dist/cli/index.js"), ...args], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.on("exit", (code) => resolve({ code: code ?? 1, stdout }));
  });
}

const workspace = mkdtempSync(join(tmpdir(), "sig-publish-demo-"));
let local;
let exitCode = 0;
try {
  process.stderr.write("Starting local Azure (Azurite + ARM Compute emulator)…\n");
  local = await startLocalAzure();
  mkdirSync(join(workspace, "images"));
  mkdirSync(join(workspace, "out"));
  writeFileSync(join(workspace, "images/ubuntu-web.image.yml"), manifest(local.subscriptionId));
  writeSparseVhd(join(workspace, "out/ubuntu-web.vhd"), 4 * GiB);
  process.stderr.write(
    `Workspace ${workspace}: images/ubuntu-web.image.yml, out/ubuntu-web.vhd (4 GiB sparse)\n\n`,
  );

  const env = {
    ...process.env,
    ...local.env,
    SIG_PUBLISH_STATIC_TOKEN: "local-emulator-token",
    AZURE_STORAGE_KEY: local.azurite.accountKey,
    SIG_PUBLISH_POLL_INTERVAL_MS: "250",
  };
  const common = ["--manifest", "images/ubuntu-web.image.yml", "--workspace", workspace];
  process.stderr.write("$ sig-publish publish --manifest images/ubuntu-web.image.yml\n");
  const published = await run(["publish", ...common], env);
  process.stdout.write(`\n${published.stdout}\n`);
  if (published.code !== 0) {
    exitCode = published.code;
  } else {
    process.stderr.write("$ sig-publish status --manifest images/ubuntu-web.image.yml\n");
    const status = await run(["status", ...common], env);
    process.stdout.write(`\n${status.stdout}\n`);
    exitCode = status.code;
  }
} finally {
  await local?.stop();
  rmSync(workspace, { recursive: true, force: true });
}
process.exitCode = exitCode;
