/**
 * Round trips on a real Azure Storage server (Azurite): the page blob must be byte-identical to
 * the fixed VHD the image stands for, with zero pages never sent.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chsGeometry, digestVhd, parseFooter } from "../../../src/core/vhd/index.ts";
import { META_DIGEST, META_STATE, UploadError, uploadVhd } from "../../../src/upload/index.ts";
import { startAzurite, type AzuriteServer } from "../../harness/azurite.ts";
import {
  MIB,
  patternBytes,
  virtualBytes,
  writeDynamicVhd,
  writeFixedVhd,
  writeRawImage,
  type ImageSpec,
} from "../../helpers/vhd-fixtures.ts";
import { blobSite, type BlobSite } from "./azurite-blob.ts";

const hasQemuImg = spawnSync("qemu-img", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "sig-publish-upload-"));
let azurite: AzuriteServer;
let site: BlobSite;

beforeAll(async () => {
  azurite = await startAzurite();
  site = await blobSite(azurite, "roundtrip");
});
afterAll(async () => {
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const spec: ImageSpec = {
  virtualSize: 48 * MIB,
  dataAt: [
    { offset: 0, bytes: patternBytes(64 * 1024, 1) },
    { offset: 6 * MIB + 512, bytes: patternBytes(1000, 2) },
    { offset: 20 * MIB - 4096, bytes: patternBytes(3 * MIB, 3) }, // spans pages and blocks
    { offset: 48 * MIB - 512, bytes: patternBytes(512, 4) },
  ],
};
/** The data is 64 KiB-granular: the bytes the uploader must send (plus the footer page). */
function nonZeroGranuleBytes(bytes: Buffer): number {
  const zero = Buffer.alloc(64 * 1024);
  let n = 0;
  for (let off = 0; off < bytes.length; off += 64 * 1024) {
    const g = bytes.subarray(off, Math.min(off + 64 * 1024, bytes.length));
    if (!g.equals(zero.subarray(0, g.length))) n += g.length;
  }
  return n;
}

async function uploadAndCheck(path: string, name: string, expected: Buffer): Promise<void> {
  const result = await uploadVhd(path, site.target(name), { concurrency: 4 });
  expect(result.outcome).toBe("uploaded");
  const blob = await site.download(name);
  expect(blob.length).toBe(expected.length);
  expect(blob.equals(expected)).toBe(true);
  // zero granules were not sent, non-zero ones were, each once
  expect(result.bytesSent).toBe(nonZeroGranuleBytes(expected));
  expect(result.bytesSent + result.bytesSkipped).toBe(expected.length);
  const ranges = await site.target(name).listPageRanges(0, expected.length);
  expect(ranges.reduce((s, r) => s + r.length, 0)).toBe(result.bytesSent);
  // identity: the digest is the local hash-only digest, and the blob's metadata records it
  expect(result.digest).toBe((await digestVhd(path)).digest);
  const state = await site.target(name).getState();
  expect(state?.metadata[META_STATE]).toBe("complete");
  expect(state?.metadata[META_DIGEST]).toBe(result.digest);
}

describe("upload round trip on Azurite", () => {
  it("fixed VHD → identical page blob", async () => {
    const p = join(dir, "fixed.vhd");
    writeFixedVhd(p, spec);
    await uploadAndCheck(p, "fixed.vhd", readFileSync(p));
  });

  it("dynamic VHD → the fixed VHD it stands for", async () => {
    const p = join(dir, "dynamic.vhd");
    const ref = join(dir, "dynamic-ref.vhd");
    writeDynamicVhd(p, spec);
    writeFixedVhd(ref, spec); // same footer fields: only the type and data offset differ
    await uploadAndCheck(p, "dynamic.vhd", readFileSync(ref));
  });

  it("raw image → data + a generated fixed footer", async () => {
    const p = join(dir, "disk.raw");
    writeRawImage(p, spec);
    const result = await uploadVhd(p, site.target("raw.vhd"));
    const blob = await site.download("raw.vhd");
    expect(blob.length).toBe(spec.virtualSize + 512);
    expect(blob.subarray(0, spec.virtualSize).equals(virtualBytes(spec))).toBe(true);
    const footer = parseFooter(blob.subarray(spec.virtualSize));
    expect(footer).toMatchObject({ cookie: "conectix", diskType: 2, currentSize: BigInt(spec.virtualSize) });
    expect(footer.checksum).toBe(footer.computedChecksum);
    expect(blob.subarray(spec.virtualSize).equals(result.facts.fixedFooter)).toBe(true);
  });

  it("a re-run of a complete upload sends nothing (hash-only verification)", async () => {
    const p = join(dir, "fixed.vhd");
    const result = await uploadVhd(p, site.target("fixed.vhd"));
    expect(result.outcome).toBe("already-complete");
    expect(result.bytesSent).toBe(0);
    expect(result.requests).toBe(0);
    expect(result.digest).toBe((await digestVhd(p)).digest);
  });

  it("a different image at the path is overwritten by default, refused with onMismatch: error", async () => {
    const other = join(dir, "other.vhd");
    const otherSpec: ImageSpec = {
      virtualSize: 48 * MIB,
      dataAt: [{ offset: 30 * MIB, bytes: patternBytes(5000, 7) }],
    };
    writeFixedVhd(other, otherSpec);
    await expect(uploadVhd(other, site.target("fixed.vhd"), { onMismatch: "error" })).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof UploadError && e.code === "BLOB_MISMATCH" && /holds another image/.test(e.message),
    );
    // untouched by the refusal
    expect((await site.download("fixed.vhd")).equals(readFileSync(join(dir, "fixed.vhd")))).toBe(true);
    const result = await uploadVhd(other, site.target("fixed.vhd"));
    expect(result.outcome).toBe("uploaded");
    expect((await site.download("fixed.vhd")).equals(readFileSync(other))).toBe(true);
  });

  it("a blob of another size or without sigpublish metadata is a mismatch too", async () => {
    const client = site.client("foreign.vhd");
    await client.create(4 * MIB);
    const p = join(dir, "fixed.vhd");
    await expect(uploadVhd(p, site.target("foreign.vhd"), { onMismatch: "error" })).rejects.toThrow(
      /is 4194304 bytes/,
    );
    await uploadVhd(p, site.target("foreign.vhd"));
    expect((await site.download("foreign.vhd")).equals(readFileSync(p))).toBe(true);
  });

  it("an invalid image is refused before anything is created", async () => {
    const p = join(dir, "odd.img");
    writeRawImage(p, { virtualSize: 21 * MIB + 512 * 3 });
    await expect(uploadVhd(p, site.target("odd.vhd"))).rejects.toMatchObject({ code: "RAW_MISALIGNED" });
    expect(await site.target("odd.vhd").getState()).toBeUndefined();
  });

  it("a cancelled upload stops with the abort reason", async () => {
    const p = join(dir, "fixed.vhd");
    const controller = new AbortController();
    controller.abort(new Error("cancelled by test"));
    await expect(uploadVhd(p, site.target("cancel.vhd"), { signal: controller.signal })).rejects.toThrow(
      "cancelled by test",
    );
  });

  describe.skipIf(!hasQemuImg)("with qemu-img images", () => {
    const qemu = (...args: string[]): void => {
      execFileSync("qemu-img", args, { stdio: "pipe" });
    };
    const raw = join(dir, "q.raw");
    beforeAll(() => writeRawImage(raw, { ...spec, virtualSize: 64 * MIB }));

    it("qemu-img fixed VHD (subformat=fixed,force_size) → identical blob", async () => {
      const p = join(dir, "q-fixed.vhd");
      qemu("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size", raw, p);
      await uploadAndCheck(p, "q-fixed.vhd", readFileSync(p));
    });

    it("qemu-img dynamic VHD → data identical to qemu-img's own fixed conversion", async () => {
      const p = join(dir, "q-dynamic.vhd");
      const ref = join(dir, "q-dynamic-ref.vhd");
      qemu("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic,force_size", raw, p);
      qemu("convert", "-f", "vpc", "-O", "vpc", "-o", "subformat=fixed,force_size", p, ref);
      const expected = readFileSync(ref);
      const result = await uploadVhd(p, site.target("q-dynamic.vhd"));
      expect(result.facts.format).toBe("dynamic");
      const blob = await site.download("q-dynamic.vhd");
      expect(blob.length).toBe(expected.length);
      const v = 64 * MIB;
      expect(blob.subarray(0, v).equals(expected.subarray(0, v))).toBe(true);
      // footers: qemu-img stamps a new time and id; the disk they describe is the same
      const ours = parseFooter(blob.subarray(v));
      const theirs = parseFooter(expected.subarray(v));
      expect(ours.checksum).toBe(ours.computedChecksum);
      expect(ours).toMatchObject({
        cookie: "conectix",
        diskType: 2,
        currentSize: theirs.currentSize,
        geometry: theirs.geometry,
        dataOffset: theirs.dataOffset,
      });
      // and only the allocated blocks were read and sent
      expect(result.bytesSent).toBeLessThan(8 * MIB);
    });

    it("a raw image matches qemu-img's fixed VHD of it, footer aside", async () => {
      const ref = join(dir, "q-raw-ref.vhd");
      qemu("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size", raw, ref);
      const expected = readFileSync(ref);
      await uploadVhd(raw, site.target("q-raw.vhd"));
      const blob = await site.download("q-raw.vhd");
      const v = 64 * MIB;
      expect(blob.subarray(0, v).equals(expected.subarray(0, v))).toBe(true);
      // qemu-img's force_size writes the maximum CHS (65535/16/255) to say "use the current size";
      // ours follows the VHD specification's CHS algorithm. Both state the same current size.
      expect(parseFooter(blob.subarray(v)).currentSize).toBe(parseFooter(expected.subarray(v)).currentSize);
      expect(parseFooter(blob.subarray(v)).geometry).toEqual(chsGeometry(v / 512));
    });

    it("a qemu-img dynamic VHD without force_size (CHS-rounded size) is refused with the fix", async () => {
      const p = join(dir, "q-chs.vhd");
      qemu("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic", raw, p);
      const facts = await import("../../../src/core/vhd/index.ts").then((m) =>
        m.inspectVhd(p).catch((e: unknown) => e),
      );
      // qemu-img rounds 64 MiB to the CHS size below or above it: not a 1 MiB multiple
      expect(facts).toMatchObject({ code: "MISALIGNED_SIZE" });
    });
  });
});

describe("the Azure page blob target", () => {
  it("refuses a Put Page over 4 MiB or not 512-aligned, before sending it", async () => {
    const target = site.target("limits.vhd");
    await target.create(16 * MIB, {});
    const md5 = Buffer.alloc(16);
    await expect(target.putPages(0, Buffer.alloc(4 * MIB + 512, 1), md5)).rejects.toThrow(
      /exceeds the service maximum/,
    );
    await expect(target.putPages(100, Buffer.alloc(512, 1), md5)).rejects.toThrow(RangeError);
    await expect(target.putPages(0, Buffer.alloc(1000, 1), md5)).rejects.toThrow(RangeError);
    await expect(target.putPages(0, Buffer.alloc(0), md5)).rejects.toThrow(RangeError);
    expect(await target.listPageRanges(0, 16 * MIB)).toEqual([]);
  });

  it("reports page ranges in bytes (the SDK's count is one short)", async () => {
    const target = site.target("ranges.vhd");
    await target.create(4 * MIB, {});
    const page = Buffer.alloc(512, 3);
    const { createHash } = await import("node:crypto");
    await target.putPages(512, page, createHash("md5").update(page).digest());
    expect(await target.listPageRanges(0, 4 * MIB)).toEqual([{ offset: 512, length: 512 }]);
  });

  it("sends the transactional MD5, which the server checks", async () => {
    const target = site.target("md5.vhd");
    await target.create(4 * MIB, {});
    await expect(target.putPages(0, Buffer.alloc(512, 5), Buffer.alloc(16, 0))).rejects.toMatchObject({
      status: 400,
    });
  });
});
