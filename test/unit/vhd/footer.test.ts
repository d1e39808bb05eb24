import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildFixedFooter, chsGeometry, footerChecksum, parseFooter } from "../../../src/core/vhd/index.ts";
import { makeFooter, specGeometry } from "../../helpers/vhd-fixtures.ts";

const MIB = 1024 * 1024;

describe("VHD footer", () => {
  it("computes CHS geometry per the VHD specification", () => {
    expect(chsGeometry((20 * MIB) / 512)).toEqual({ cylinders: 602, heads: 4, sectorsPerTrack: 17 });
    expect(chsGeometry((16 * 1024 * MIB) / 512)).toEqual({
      cylinders: 33288,
      heads: 16,
      sectorsPerTrack: 63,
    });
    // saturates at 65535 × 16 × 255
    expect(chsGeometry((1024 * 1024 * MIB) / 512)).toEqual({
      cylinders: 65535,
      heads: 16,
      sectorsPerTrack: 255,
    });
  });

  it("agrees with the test helper's independent geometry for any size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 36 }), (sectors) => {
        const g = chsGeometry(sectors);
        expect([g.cylinders, g.heads, g.sectorsPerTrack]).toEqual(specGeometry(sectors));
      }),
    );
  });

  it("builds a fixed footer that parses back with a valid checksum", () => {
    const f = buildFixedFooter({ currentSize: 64 * MIB, uniqueId: Buffer.alloc(16, 0xab) });
    const p = parseFooter(f);
    expect(p.cookie).toBe("conectix");
    expect(p.diskType).toBe(2);
    expect(p.currentSize).toBe(BigInt(64 * MIB));
    expect(p.originalSize).toBe(BigInt(64 * MIB));
    expect(p.dataOffset).toBe(0xffffffffffffffffn);
    expect(p.checksum).toBe(p.computedChecksum);
    expect(p.uniqueId.equals(Buffer.alloc(16, 0xab))).toBe(true);
    expect(p.timestamp).toBe(0);
  });

  it("checksums like the independent helper", () => {
    const f = makeFooter({ currentSize: 40 * MIB });
    expect(footerChecksum(f)).toBe(f.readUInt32BE(64));
    f[100] = 1;
    expect(footerChecksum(f)).not.toBe(f.readUInt32BE(64));
  });
});
