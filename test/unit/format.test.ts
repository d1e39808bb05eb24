import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatExactBytes } from "../../src/core/format.ts";

describe("figures for people", () => {
  it("formatBytes rounds to one decimal below 100 and none above", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(100 * 1024 * 1024)).toBe("100 MiB");
    expect(formatBytes(17 * 1024 * 1024 + 512)).toBe("17.0 MiB");
    expect(formatBytes(5 * 1024 ** 5)).toBe("5120 TiB");
  });

  it("formatExactBytes never rounds a limit", () => {
    expect(formatExactBytes(8 * 1024 ** 4 - 1024 ** 2)).toBe("8388607 MiB (8796091973632 bytes)");
    expect(formatExactBytes(20 * 1024 ** 2)).toBe("20 MiB (20971520 bytes)");
    expect(formatExactBytes(1000)).toBe("1000 bytes");
  });

  it("formatDuration", () => {
    expect(formatDuration(75)).toBe("1m15s");
    expect(formatDuration(9.4)).toBe("9s");
    expect(formatDuration(Number.NaN)).toBe("?");
  });
});
