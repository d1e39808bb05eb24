/**
 * Upload progress for a terminal: a redrawn bar on a TTY, a line every few seconds otherwise.
 */
import type { UploadProgress } from "../engine/contract.ts";
import { formatBytes, formatDuration } from "../core/format.ts";

export function progressLine(p: UploadProgress, width = 28): string {
  const fraction = p.totalBytes === 0 ? 1 : Math.min(1, p.scannedBytes / p.totalBytes);
  const filled = Math.round(fraction * width);
  const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
  const eta = p.etaSeconds === undefined ? "" : ` ETA ${formatDuration(p.etaSeconds)}`;
  return (
    `${p.disk} ${bar} ${(fraction * 100).toFixed(1)}% scanned ${formatBytes(p.scannedBytes)}/${formatBytes(p.totalBytes)}` +
    `, sent ${formatBytes(p.sentBytes)}, skipped ${formatBytes(p.skippedBytes)}, ${formatBytes(p.bytesPerSecond)}/s${eta}`
  );
}

export function createProgressReporter(
  stream: NodeJS.WriteStream,
  everyMs = 5000,
): { report: (p: UploadProgress) => void; done: () => void } {
  let lastLine = 0;
  let drawn = false;
  return {
    report(p) {
      const now = Date.now();
      const finished = p.scannedBytes >= p.totalBytes;
      if (stream.isTTY) {
        if (now - lastLine < 100 && !finished) return;
        lastLine = now;
        stream.write(`\r${progressLine(p).slice(0, Math.max(20, (stream.columns ?? 120) - 1))}\x1b[K`);
        drawn = true;
      } else if (now - lastLine >= everyMs || finished) {
        lastLine = now;
        stream.write(`${progressLine(p)}\n`);
      }
    },
    done() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
