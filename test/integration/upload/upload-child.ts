/**
 * Runs one upload in its own process so a test can SIGKILL it mid-way.
 * argv: vhdPath blobUrl accountName accountKey killAtCheckpoint(bytes, 0 = never)
 * Prints the UploadResult as JSON on the last line of stdout.
 */
import { StorageSharedKeyCredential } from "@azure/storage-blob";
import { uploadVhdToBlobUrl } from "../../../src/upload/index.ts";

const [vhdPath, blobUrl, account, key, killAt] = process.argv.slice(2);
if (vhdPath === undefined || blobUrl === undefined || account === undefined || key === undefined) {
  throw new Error("usage: upload-child.ts vhd url account key killAtCheckpoint");
}
const killAtBytes = Number(killAt ?? "0");
const result = await uploadVhdToBlobUrl({
  vhdPath,
  blobUrl,
  credential: new StorageSharedKeyCredential(account, key),
  concurrency: 2,
  checkpointBytes: 4 * 1024 * 1024,
  progressIntervalMs: 0,
  onProgress: (p) => {
    if (killAtBytes > 0 && p.checkpoint >= killAtBytes) {
      process.stdout.write(`killing at checkpoint ${p.checkpoint}, sent ${p.bytesSent}\n`);
      process.kill(process.pid, "SIGKILL");
    }
  },
});
process.stdout.write(
  `${JSON.stringify({ ...result, facts: { ...result.facts, fixedFooter: undefined } })}\n`,
);
