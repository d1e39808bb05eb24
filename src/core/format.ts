/** Human-readable figures for logs, summaries and the CLI. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** `1536` → `1.5 KiB`; bytes are whole, larger units have one decimal (none from 100 up). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit] ?? "B"}`;
}

/**
 * Exact sizes for limits and refusals: the largest unit that divides `bytes` exactly, with the byte
 * count (`8388607 MiB (8796092022784 bytes)`, not a rounded `8.0 TiB`).
 */
export function formatExactBytes(bytes: number): string {
  for (let unit = UNITS.length - 1; unit >= 1; unit--) {
    const size = 1024 ** unit;
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${UNITS[unit] ?? "B"} (${bytes} bytes)`;
  }
  return `${bytes} bytes`;
}

/** `75` → `1m15s`; `NaN` → `?`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m === 0 ? `${s}s` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}
