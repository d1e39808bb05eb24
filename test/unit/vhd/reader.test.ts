import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CHUNK_SIZE,
  DIGEST_PREFIX,
  digestVhd,
  openLogicalDisk,
  parseFooter,
  type LogicalDisk,
} from "../../../src/core/vhd/index.ts";
import {
  MIB,
  patternBytes,
  virtualBytes,
  writeDynamicVhd,
  writeFixedVhd,
  writeRawImage,
  type ImageSpec,
} from "../../helpers/vhd-fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "sig-publish-vhd-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (name: string): string => join(dir, `${n++}-${name}`);

/** Reads the whole logical disk in 4 MiB chunks, recording which chunks came back as known holes. */
async function readAllChunks(disk: LogicalDisk): Promise<{ bytes: Buffer; zeroChunks: number[] }> {
  const out = Buffer.alloc(disk.size);
  const zeroChunks: number[] = [];
  const buf = Buffer.alloc(CHUNK_SIZE, 0xee);
  for (let off = 0, i = 0; off < disk.size; off += CHUNK_SIZE, i++) {
    const len = Math.min(CHUNK_SIZE, disk.size - off);
    buf.fill(0xee);
    const kind = await disk.read(off, len, buf);
    if (kind === "zero") {
      zeroChunks.push(i);
      expect(buf[0]).toBe(0xee); // untouched: the caller must not rely on the buffer
    } else buf.copy(out, off, 0, len);
  }
  return { bytes: out, zeroChunks };
}

/** Independent computation of the documented digest over a whole buffer. */
function referenceDigest(blob: Buffer): string {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(blob.length));
  let c = createHash("sha256").update("sig-publish sha256-p4m v1\n").update(size).digest();
  for (let off = 0; off < blob.length; off += 4 * MIB) {
    const h = createHash("sha256")
      .update(blob.subarray(off, Math.min(off + 4 * MIB, blob.length)))
      .digest();
    c = createHash("sha256").update(c).update(h).digest();
  }
  return DIGEST_PREFIX + c.toString("hex");
}

const spec: ImageSpec = {
  virtualSize: 42 * MIB,
  dataAt: [
    { offset: 0, bytes: patternBytes(4096, 1) },
    { offset: 5 * MIB - 100, bytes: patternBytes(300, 2) }, // crosses a block boundary
    { offset: 17 * MIB, bytes: patternBytes(3 * MIB, 3) },
    { offset: 42 * MIB - 512, bytes: patternBytes(512, 4) }, // last sector
  ],
};

describe("logical fixed disk reader", () => {
  it("reads a fixed VHD as itself", async () => {
    const p = file("fixed.vhd");
    writeFixedVhd(p, spec);
    const disk = await openLogicalDisk(p);
    try {
      const { bytes } = await readAllChunks(disk);
      expect(bytes.equals(readFileSync(p))).toBe(true);
    } finally {
      await disk.close();
    }
  });

  it("reads a raw image followed by a generated fixed footer", async () => {
    const p = file("disk.raw");
    writeRawImage(p, spec);
    const disk = await openLogicalDisk(p);
    try {
      const { bytes } = await readAllChunks(disk);
      expect(bytes.subarray(0, spec.virtualSize).equals(virtualBytes(spec))).toBe(true);
      const footer = parseFooter(bytes.subarray(spec.virtualSize));
      expect(footer.cookie).toBe("conectix");
      expect(footer.diskType).toBe(2);
      expect(footer.checksum).toBe(footer.computedChecksum);
      expect(footer.currentSize).toBe(BigInt(spec.virtualSize));
    } finally {
      await disk.close();
    }
  });

  for (const blockSize of [2 * MIB, 512 * 1024, 8 * MIB]) {
    it(`reads a dynamic VHD (block size ${blockSize / 1024} KiB) as the fixed VHD, signalling holes`, async () => {
      const dyn = file(`dynamic-${blockSize}.vhd`);
      const fixed = file("fixed-ref.vhd");
      writeDynamicVhd(dyn, { ...spec, blockSize });
      writeFixedVhd(fixed, spec);
      const disk = await openLogicalDisk(dyn);
      try {
        const { bytes, zeroChunks } = await readAllChunks(disk);
        // same data and, since the helper writes the same footer fields, the same footer
        expect(bytes.equals(readFileSync(fixed))).toBe(true);
        // chunks 2, 3 (8–16 MiB) and 6–9 (24–40 MiB) hold no allocated block in any layout
        expect(zeroChunks).toEqual(expect.arrayContaining([2, 3, 6, 7, 8, 9]));
        expect(zeroChunks).not.toContain(0);
        expect(zeroChunks).not.toContain(10); // the footer
      } finally {
        await disk.close();
      }
      // identity: a dynamic VHD and its fixed equivalent have the same digest
      expect((await digestVhd(dyn)).digest).toBe((await digestVhd(fixed)).digest);
    });
  }

  it("honours the sector bitmap: sectors whose bit is clear read as zeros", async () => {
    const p = file("bitmap.vhd");
    const data = patternBytes(2 * MIB, 9);
    writeDynamicVhd(p, {
      virtualSize: 20 * MIB,
      dataAt: [{ offset: 2 * MIB, bytes: data }],
      bitmap: (block, bitmap) => {
        if (block === 1) bitmap[0] = 0b0111_1111; // sector 0 of block 1 absent
      },
    });
    const disk = await openLogicalDisk(p);
    try {
      const buf = Buffer.alloc(4 * MIB);
      expect(await disk.read(0, 4 * MIB, buf)).toBe("data");
      expect(buf.subarray(2 * MIB, 2 * MIB + 512).equals(Buffer.alloc(512))).toBe(true);
      expect(buf.subarray(2 * MIB + 512, 4 * MIB).equals(data.subarray(512))).toBe(true);
    } finally {
      await disk.close();
    }
  });

  it("refuses unaligned reads", async () => {
    const p = file("align.vhd");
    writeFixedVhd(p, { virtualSize: 20 * MIB });
    const disk = await openLogicalDisk(p);
    try {
      await expect(disk.read(100, 512, Buffer.alloc(512))).rejects.toThrow(RangeError);
      await expect(disk.read(0, 20 * MIB + 1024, Buffer.alloc(512))).rejects.toThrow(RangeError);
    } finally {
      await disk.close();
    }
  });
});

describe("digest", () => {
  it("is the documented chain of per-4-MiB-page SHA-256s over the logical fixed disk", async () => {
    const p = file("digest.vhd");
    writeFixedVhd(p, spec);
    const result = await digestVhd(p);
    expect(result.digest).toMatch(/^sha256-p4m:[0-9a-f]{64}$/);
    expect(result.digest).toBe(referenceDigest(readFileSync(p)));
  });

  it("covers the footer and every byte: one changed byte changes it", async () => {
    const a = file("a.vhd");
    const b = file("b.vhd");
    writeFixedVhd(a, spec);
    writeFixedVhd(b, {
      ...spec,
      dataAt: [...(spec.dataAt ?? []), { offset: 30 * MIB, bytes: Buffer.from([1]) }],
    });
    expect((await digestVhd(a)).digest).not.toBe((await digestVhd(b)).digest);
  });

  it("of a raw image equals the digest of the fixed VHD it is uploaded as", async () => {
    const p = file("digest.raw");
    writeRawImage(p, spec);
    const disk = await openLogicalDisk(p);
    const { bytes } = await readAllChunks(disk);
    await disk.close();
    expect((await digestVhd(p)).digest).toBe(referenceDigest(bytes));
  });
});
