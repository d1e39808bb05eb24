import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VhdError, inspectVhd, type VhdErrorCode } from "../../../src/core/vhd/index.ts";
import {
  MIB,
  makeFooter,
  patternBytes,
  writeDynamicVhd,
  writeFixedVhd,
  writeRawImage,
} from "../../helpers/vhd-fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "sig-publish-vhd-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (name: string): string => join(dir, `${n++}-${name}`);

async function refusal(path: string): Promise<VhdError> {
  try {
    await inspectVhd(path);
  } catch (error) {
    expect(error).toBeInstanceOf(VhdError);
    return error as VhdError;
  }
  throw new Error(`${path} was accepted`);
}

async function expectRefusal(
  path: string,
  code: VhdErrorCode,
  problem: RegExp,
  fix: RegExp,
): Promise<VhdError> {
  const error = await refusal(path);
  expect(error.code).toBe(code);
  expect(error.path).toBe(path);
  expect(error.problem).toMatch(problem);
  expect(error.fix).toMatch(fix);
  expect(error.message).toContain(path);
  expect(error.message).toContain(error.fix);
  return error;
}

describe("inspectVhd accepts", () => {
  it("a fixed VHD, reading its footer", async () => {
    const p = file("fixed.vhd");
    const footer = writeFixedVhd(p, {
      virtualSize: 32 * MIB,
      dataAt: [{ offset: MIB, bytes: patternBytes(4096) }],
    });
    const facts = await inspectVhd(p);
    expect(facts).toMatchObject({
      format: "fixed",
      virtualSize: 32 * MIB,
      blobSize: 32 * MIB + 512,
      fileSize: 32 * MIB + 512,
      geometry: { cylinders: 963, heads: 4, sectorsPerTrack: 17 },
    });
    expect(facts.fixedFooter.equals(footer)).toBe(true);
    // sparse: far less than the virtual size is allocated
    expect(facts.allocatedBytes).toBeLessThan(4 * MIB);
  });

  it("a raw image whose size is a multiple of 1 MiB, with a generated fixed footer", async () => {
    const p = file("disk.raw");
    writeRawImage(p, { virtualSize: 20 * MIB, dataAt: [{ offset: 0, bytes: patternBytes(512) }] });
    const facts = await inspectVhd(p);
    expect(facts.format).toBe("raw");
    expect(facts.blobSize).toBe(20 * MIB + 512);
    expect(facts.fixedFooter.toString("latin1", 0, 8)).toBe("conectix");
    expect(facts.fixedFooter.readBigUInt64BE(48)).toBe(BigInt(20 * MIB));
    expect(facts.fixedFooter.readUInt32BE(60)).toBe(2);
    // deterministic: the same image gets the same footer
    expect((await inspectVhd(p)).fixedFooter.equals(facts.fixedFooter)).toBe(true);
  });

  it("a dynamic VHD, counting its allocated blocks", async () => {
    const p = file("dynamic.vhd");
    writeDynamicVhd(p, {
      virtualSize: 64 * MIB,
      dataAt: [
        { offset: 0, bytes: patternBytes(1000) },
        { offset: 40 * MIB + 7, bytes: patternBytes(3 * MIB) },
      ],
    });
    const facts = await inspectVhd(p);
    expect(facts.format).toBe("dynamic");
    expect(facts.virtualSize).toBe(64 * MIB);
    expect(facts.blobSize).toBe(64 * MIB + 512);
    expect(facts.dynamic).toEqual({
      blockSize: 2 * MIB,
      blockCount: 32,
      allocatedBlocks: 3,
      batOffset: 1536,
    });
    expect(facts.allocatedBytes).toBe(6 * MIB);
    expect(facts.fixedFooter.readUInt32BE(60)).toBe(2);
    expect(facts.fixedFooter.readBigUInt64BE(16)).toBe(0xffffffffffffffffn);
  });
});

describe("inspectVhd refuses, saying what is wrong and how to fix it", () => {
  it("a missing file", async () => {
    await expectRefusal(join(dir, "nope.vhd"), "NOT_FOUND", /does not exist/, /check the path/);
  });

  it("a file shorter than a footer (truncated)", async () => {
    const p = file("tiny.vhd");
    writeFileSync(p, Buffer.from("conectix"));
    await expectRefusal(p, "TRUNCATED", /too short/, /download the image again/);
  });

  it("a fixed VHD cut short (footer says more than the file holds)", async () => {
    const p = file("short.vhd");
    writeFixedVhd(p, { virtualSize: 32 * MIB, footer: { currentSize: 64 * MIB } });
    await expectRefusal(
      p,
      "TRUNCATED",
      /must be 67109376 bytes, but it is 33554944 bytes \(truncated\)/,
      /again/,
    );
  });

  it("a dynamic VHD whose end (and trailing footer) is missing", async () => {
    const p = file("cut-dynamic.vhd");
    writeDynamicVhd(p, {
      virtualSize: 32 * MIB,
      dataAt: [{ offset: 0, bytes: patternBytes(512) }],
      dropTrailingFooter: true,
    });
    await expectRefusal(p, "TRUNCATED", /does not end with one: the file is truncated/, /again/);
  });

  it("a dynamic VHD whose last block is cut off", async () => {
    const p = file("cut-block.vhd");
    writeDynamicVhd(p, { virtualSize: 32 * MIB, dataAt: [{ offset: 30 * MIB, bytes: patternBytes(512) }] });
    // Keep the footer but drop most of the block before it.
    const { size } = await import("node:fs").then((fs) => fs.statSync(p));
    const footer = Buffer.alloc(512);
    const fs = await import("node:fs");
    const fd = fs.openSync(p, "r+");
    fs.readSync(fd, footer, 0, 512, size - 512);
    fs.ftruncateSync(fd, size - MIB);
    fs.writeSync(fd, footer, 0, 512, size - MIB - 512);
    fs.closeSync(fd);
    await expectRefusal(p, "TRUNCATED", /block 15 .* ends past the data area/, /again/);
  });

  it("a footer whose checksum does not match", async () => {
    const p = file("badsum.vhd");
    writeFixedVhd(p, { virtualSize: 32 * MIB, footer: { mutate: (f) => f.writeUInt32BE(7, 24) } });
    await expectRefusal(
      p,
      "BAD_CHECKSUM",
      /checksum is 0x[0-9a-f]+ but its bytes sum to/,
      /truncate -s 33554432 /,
    );
  });

  it("a dynamic header whose checksum does not match", async () => {
    const p = file("badhdrsum.vhd");
    writeDynamicVhd(p, { virtualSize: 32 * MIB, mutateHeader: (h) => h.writeUInt32BE(999, 24) });
    await expectRefusal(
      p,
      "BAD_CHECKSUM",
      /dynamic header's checksum/,
      /qemu-img convert -f vpc -O vpc -o subformat=fixed,force_size/,
    );
  });

  it("a VHD-sized file whose footer cookie is damaged", async () => {
    const p = file("badcookie.vhd");
    writeFixedVhd(p, { virtualSize: 32 * MIB, footer: { mutate: (f) => f.write("CONECTIX", 0, "latin1") } });
    await expectRefusal(
      p,
      "BAD_COOKIE",
      /do not start with the footer cookie "conectix"/,
      /truncate -s 33554432 /,
    );
  });

  it("a dynamic header with a bad cookie", async () => {
    const p = file("badhdrcookie.vhd");
    writeDynamicVhd(p, { virtualSize: 32 * MIB, mutateHeader: (h) => h.write("cxSPARSE", 0, "latin1") });
    await expectRefusal(p, "BAD_COOKIE", /does not start with the cookie "cxsparse"/, /qemu-img convert/);
  });

  it("a differencing VHD", async () => {
    const p = file("child.vhd");
    writeDynamicVhd(p, { virtualSize: 32 * MIB, diskType: 4 });
    await expectRefusal(
      p,
      "DIFFERENCING",
      /differencing VHD/,
      /^.*qemu-img convert -O vpc -o subformat=fixed,force_size .*child\.vhd fixed\.vhd/,
    );
  });

  it("an unknown disk type", async () => {
    const p = file("type5.vhd");
    writeFixedVhd(p, { virtualSize: 32 * MIB, footer: { diskType: 5 } });
    await expectRefusal(p, "UNSUPPORTED_TYPE", /disk type 5/, /subformat=fixed,force_size/);
  });

  it("a fixed VHD whose virtual size is not a multiple of 1 MiB", async () => {
    const p = file("odd.vhd");
    writeFixedVhd(p, { virtualSize: 32 * MIB + 4096 });
    await expectRefusal(
      p,
      "MISALIGNED_SIZE",
      /not a multiple of 1 MiB/,
      /qemu-img resize -f raw disk\.raw 34603008 && qemu-img convert -f raw -O vpc -o subformat=fixed,force_size disk\.raw fixed\.vhd/,
    );
  });

  it("a dynamic VHD whose virtual size is not a multiple of 1 MiB (qemu-img without force_size)", async () => {
    const p = file("odd-dynamic.vhd");
    writeDynamicVhd(p, { virtualSize: 32 * MIB + 512 * 63 });
    await expectRefusal(
      p,
      "MISALIGNED_SIZE",
      /not a multiple of 1 MiB/,
      /qemu-img resize -f raw disk\.raw 34603008/,
    );
  });

  it("a raw image whose size is not a multiple of 1 MiB", async () => {
    const p = file("odd.img");
    writeRawImage(p, { virtualSize: 21 * MIB + 1000 });
    await expectRefusal(
      p,
      "RAW_MISALIGNED",
      /has no VHD footer.*not a multiple of 1 MiB/,
      /qemu-img resize -f raw .*odd\.img 23068672/,
    );
  });

  it("a VHD below 20 MiB", async () => {
    const p = file("small.vhd");
    writeFixedVhd(p, { virtualSize: 19 * MIB });
    await expectRefusal(
      p,
      "TOO_SMALL",
      /below Azure's minimum of 20 MiB/,
      /qemu-img resize -f raw disk\.raw 20971520/,
    );
  });

  it("a raw image below 20 MiB", async () => {
    const p = file("small.img");
    writeRawImage(p, { virtualSize: 4 * MIB });
    await expectRefusal(
      p,
      "TOO_SMALL",
      /below Azure's minimum/,
      /qemu-img resize -f raw .*small\.img 20971520/,
    );
  });

  it("a sparse fixed VHD larger than a page blob can hold (8 TiB), naming that limit", async () => {
    const p = file("huge.vhd");
    const virtualSize = 8 * 1024 * 1024 * MIB;
    writeRawImage(p, { virtualSize });
    const fs = await import("node:fs");
    const fd = fs.openSync(p, "r+");
    fs.writeSync(fd, makeFooter({ currentSize: virtualSize }), 0, 512, virtualSize);
    fs.closeSync(fd);
    const error = await expectRefusal(
      p,
      "TOO_LARGE",
      /exceeds the maximum of 8388607 MiB.* page blob holds at most 8 TiB/,
      /qemu-img resize -f raw --shrink/,
    );
    expect(error.problem).toContain("32 TiB");
    truncateSync(p, 0);
  });

  it("a dynamic VHD of 40 TiB", async () => {
    const p = file("huge-dynamic.vhd");
    writeDynamicVhd(p, { virtualSize: 40 * 1024 * 1024 * MIB, blockSize: 256 * MIB });
    await expectRefusal(p, "TOO_LARGE", /40 TiB .*exceeds/, /--shrink/);
  });

  it("a raw file when raw images are not allowed", async () => {
    const p = file("noraw.img");
    writeRawImage(p, { virtualSize: 20 * MIB });
    await expect(inspectVhd(p, { allowRaw: false })).rejects.toMatchObject({ code: "BAD_COOKIE" });
  });

  it("a larger limit can be chosen (managed disk import, 32 TiB)", async () => {
    const p = file("ok-32t.vhd");
    writeDynamicVhd(p, { virtualSize: 16 * 1024 * 1024 * MIB, blockSize: 256 * MIB });
    const facts = await inspectVhd(p, {
      limit: { maxVirtualSize: 32 * 1024 * 1024 * MIB, reason: "managed disk" },
    });
    expect(facts.virtualSize).toBe(16 * 1024 * 1024 * MIB);
  });
});
