#!/usr/bin/env node
/**
 * npm run bench [-- --quick] [-- --only a,b] [-- --tools sig-publish,azcopy,bound]
 *
 * Generates disk images and uploads each to a fresh disk-mode Azurite with
 *   sig-publish   (src/upload: zero-skipping, MD5, digest, resume metadata)
 *   azcopy        (@azure-tools/azcopy-linux, installed on demand into .tmp/bench-tools)
 *   naive         (@azure/storage-blob, every 4 MiB page sent, 8 in flight)
 *   bound         (8-way Put Page of only the non-zero 64 KiB runs, data already located: the
 *                  ingest limit of this server for this image)
 * and prints wall time, ratios to azcopy and to the bound, bytes sent and peak RSS (VmHWM of the
 * uploading process, polled from /proc). Not part of CI.
 *
 * Images: (a) ext4 with ~1.5 GiB of files, some deleted, in a 16 GiB fixed VHD (mkfs.ext4 -d,
 * debugfs rm; no mount), (b) 16 GiB fixed VHD with 512 MiB of scattered data, (c) the dynamic VHD
 * of (a) (qemu-img convert -O vpc), (d) a 128 GiB sparse fixed VHD (memory). --quick divides sizes.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
  ftruncateSync,
  readSync,
} from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const args = process.argv.slice(2);

if (args[0] === "--child") {
  await child(args.slice(1));
  process.exit(0);
}

const quick = args.includes("--quick");
const onlyArg = args.find((a) => a.startsWith("--only"));
const toolsArg = args.find((a) => a.startsWith("--tools"));
const toolFilter = toolsArg
  ? (toolsArg.split("=")[1] ?? args[args.indexOf(toolsArg) + 1] ?? "").split(",")
  : undefined;
const only = onlyArg
  ? (onlyArg.split("=")[1] ?? args[args.indexOf(onlyArg) + 1] ?? "").split(",")
  : undefined;
const work = join(root, ".tmp", "bench");
const tools = join(root, ".tmp", "bench-tools");
mkdirSync(work, { recursive: true });

const sizes = quick
  ? { a: 2 * GIB, aFiles: 192 * MIB, b: 2 * GIB, bData: 64 * MIB, d: 16 * GIB }
  : { a: 16 * GIB, aFiles: 1536 * MIB, b: 16 * GIB, bData: 512 * MIB, d: 128 * GIB };

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Images

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function fillRandom(buf, seed) {
  // fast deterministic filler: a 1 MiB random block rotated per seed
  const rand = rng(seed);
  for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
}

async function footerFor(size) {
  const { buildFixedFooter } = await import("../src/core/vhd/footer.ts");
  return buildFixedFooter({ currentSize: size });
}

function run(cmd, argv) {
  execFileSync(cmd, argv, { stdio: ["ignore", "ignore", "inherit"] });
}

async function imageA() {
  const out = join(work, `a-ext4-${sizes.a / GIB}g.vhd`);
  if (existsSync(out)) return out;
  log(`generating (a): ext4 with ~${sizes.aFiles / MIB} MiB of files in ${sizes.a / GIB} GiB`);
  const stage = join(work, "a-stage");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, "big"), { recursive: true });
  mkdirSync(join(stage, "small"), { recursive: true });
  mkdirSync(join(stage, "trash"), { recursive: true });
  const block = Buffer.alloc(MIB);
  let written = 0;
  let n = 0;
  // 70 % in big files, 20 % in small files, 10 % in files deleted afterwards
  while (written < sizes.aFiles * 0.7) {
    const len = (8 + (n % 8) * 8) * MIB;
    const fd = openSync(join(stage, "big", `f${n}.bin`), "w");
    for (let o = 0; o < len; o += MIB) {
      fillRandom(block, n * 1000 + o / MIB + 1);
      writeSync(fd, block);
    }
    closeSync(fd);
    written += len;
    n++;
  }
  const small = Buffer.alloc(64 * 1024);
  while (written < sizes.aFiles * 0.9) {
    fillRandom(small, n + 7);
    const len = 4096 + (n % 16) * 4096;
    writeFileSync(join(stage, "small", `s${n}.txt`), small.subarray(0, len));
    written += len;
    n++;
  }
  const trash = [];
  while (written < sizes.aFiles) {
    const name = `t${n}.bin`;
    const len = 16 * MIB;
    const fd = openSync(join(stage, "trash", name), "w");
    for (let o = 0; o < len; o += MIB) {
      fillRandom(block, n * 977 + o / MIB + 3);
      writeSync(fd, block);
    }
    closeSync(fd);
    trash.push(`/trash/${name}`);
    written += len;
    n++;
  }
  const raw = join(work, "a.raw");
  rmSync(raw, { force: true });
  const fd = openSync(raw, "w");
  ftruncateSync(fd, sizes.a);
  closeSync(fd);
  run("mkfs.ext4", ["-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", "-d", stage, raw]);
  // delete some files without mounting: their blocks keep the bytes (like a real image)
  for (const t of trash) run("debugfs", ["-w", "-R", `rm ${t}`, raw]);
  rmSync(stage, { recursive: true, force: true });
  // append the fixed footer in place (the raw file stays sparse)
  const footer = await footerFor(sizes.a);
  const fa = openSync(raw, "r+");
  writeSync(fa, footer, 0, 512, sizes.a);
  closeSync(fa);
  execFileSync("mv", [raw, out]);
  return out;
}

async function imageB() {
  const out = join(work, `b-synthetic-${sizes.b / GIB}g.vhd`);
  if (existsSync(out)) return out;
  log(`generating (b): ${sizes.bData / MIB} MiB scattered in ${sizes.b / GIB} GiB`);
  const fd = openSync(out + ".part", "w");
  ftruncateSync(fd, sizes.b);
  const rand = rng(42);
  const piece = 256 * 1024;
  const buf = Buffer.alloc(piece);
  for (let done = 0; done < sizes.bData; done += piece) {
    const offset = Math.floor((rand() * (sizes.b - piece)) / 4096) * 4096;
    fillRandom(buf, done / piece + 5);
    writeSync(fd, buf, 0, piece, offset);
  }
  writeSync(fd, await footerFor(sizes.b), 0, 512, sizes.b);
  closeSync(fd);
  execFileSync("mv", [out + ".part", out]);
  return out;
}

async function imageC(a) {
  const out = join(work, `c-dynamic-of-a-${sizes.a / GIB}g.vhd`);
  if (existsSync(out)) return out;
  log("generating (c): dynamic VHD of (a) with qemu-img");
  // Read (a) as raw data of its virtual size: qemu-img derives the size of a VHD from a creator it
  // does not know from the CHS geometry, which is not a 1 MiB multiple.
  run("qemu-img", [
    "convert",
    "--image-opts",
    `driver=raw,size=${sizes.a},file.driver=file,file.filename=${a}`,
    "-O",
    "vpc",
    "-o",
    "subformat=dynamic,force_size",
    out + ".part",
  ]);
  execFileSync("mv", [out + ".part", out]);
  return out;
}

async function imageD() {
  const out = join(work, `d-sparse-${sizes.d / GIB}g.vhd`);
  if (existsSync(out)) return out;
  log(`generating (d): ${sizes.d / GIB} GiB sparse`);
  const fd = openSync(out + ".part", "w");
  ftruncateSync(fd, sizes.d);
  const buf = Buffer.alloc(MIB);
  for (let i = 0; i < 16; i++) {
    fillRandom(buf, i + 11);
    writeSync(fd, buf, 0, MIB, Math.floor((sizes.d / 16) * i));
  }
  writeSync(fd, await footerFor(sizes.d), 0, 512, sizes.d);
  closeSync(fd);
  execFileSync("mv", [out + ".part", out]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Uploaders (run in a child process each so RSS is theirs alone)

async function child([mode, vhd, url, account, key]) {
  const { StorageSharedKeyCredential, PageBlobClient } = await import("@azure/storage-blob");
  const credential = new StorageSharedKeyCredential(account, key);
  const started = Date.now();
  if (mode === "sig-publish") {
    const { uploadVhdToBlobUrl } = await import("../src/upload/index.ts");
    const r = await uploadVhdToBlobUrl({ vhdPath: vhd, blobUrl: url, credential, concurrency: 8 });
    process.stdout.write(
      JSON.stringify({ bytesSent: r.bytesSent, ms: Date.now() - started, digest: r.digest }) + "\n",
    );
    return;
  }
  const client = new PageBlobClient(url, credential);
  const { openLogicalDisk } = await import("../src/core/vhd/reader.ts");
  const disk = await openLogicalDisk(vhd);
  const size = disk.size;
  if (mode === "naive") {
    await client.create(size);
    let next = 0;
    let sent = 0;
    const worker = async () => {
      const buf = Buffer.allocUnsafe(4 * MIB);
      for (;;) {
        const offset = next;
        next += 4 * MIB;
        if (offset >= size) return;
        const len = Math.min(4 * MIB, size - offset);
        const kind = await disk.read(offset, len, buf);
        if (kind === "zero") buf.fill(0, 0, len);
        await client.uploadPages(buf.subarray(0, len), offset, len);
        sent += len;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    process.stdout.write(JSON.stringify({ bytesSent: sent, ms: Date.now() - started }) + "\n");
    return;
  }
  if (mode === "bound") {
    // Untimed: locate the non-zero 64 KiB runs (the same granularity sig-publish uses).
    const { nonZeroRuns } = await import("../src/upload/uploader.ts");
    const runs = [];
    const buf = Buffer.allocUnsafe(4 * MIB);
    for (let offset = 0; offset < size; offset += 4 * MIB) {
      const len = Math.min(4 * MIB, size - offset);
      if ((await disk.read(offset, len, buf)) === "zero") continue;
      for (const r of nonZeroRuns(buf, len)) runs.push({ offset: offset + r.start, length: r.end - r.start });
    }
    await client.create(size);
    const t0 = Date.now();
    let i = 0;
    let sent = 0;
    const worker = async () => {
      const b = Buffer.allocUnsafe(4 * MIB);
      for (;;) {
        const r = runs[i++];
        if (!r) return;
        await disk.read(r.offset, r.length, b);
        await client.uploadPages(b.subarray(0, r.length), r.offset, r.length);
        sent += r.length;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    process.stdout.write(JSON.stringify({ bytesSent: sent, ms: Date.now() - t0 }) + "\n");
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

function peakRssPoller(pid) {
  let peak = 0;
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      /* exited */
    }
  };
  const timer = setInterval(read, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
    read,
  };
}

function timed(cmd, argv, env = process.env) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const p = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], env });
    const poll = peakRssPoller(p.pid);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => {
      stdout += d;
      poll.read();
    });
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const rss = poll.stop();
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${(stderr || stdout).slice(-2000)}`));
      else resolvePromise({ ms, rss, stdout });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// azcopy

function findFile(dir, name) {
  if (!existsSync(dir)) return undefined;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    }
  }
  return undefined;
}

function azcopyBinary() {
  const locate = () =>
    findFile(join(tools, "node_modules", "@azure-tools", "azcopy-linux"), "azcopy_linux_amd64");
  let bin = locate();
  if (!bin) {
    log("installing @azure-tools/azcopy-linux@10.32.2 into .tmp/bench-tools");
    try {
      execFileSync(
        "npm",
        [
          "install",
          "--prefix",
          tools,
          "--no-save",
          "--no-audit",
          "--no-fund",
          "@azure-tools/azcopy-linux@10.32.2",
        ],
        {
          stdio: ["ignore", "ignore", "inherit"],
        },
      );
    } catch (e) {
      return { reason: `npm install failed: ${String(e.message).split("\n")[0]}` };
    }
    bin = locate();
  }
  if (!bin) return { reason: "azcopy binary not found in the npm package" };
  // the npm tarball does not keep the executable bit
  chmodSync(bin, 0o755);
  try {
    execFileSync(bin, ["--version"], { stdio: "pipe" });
  } catch (e) {
    return { reason: `azcopy does not run: ${String(e.stderr || e.message).split("\n")[0]}` };
  }
  return { bin };
}

// ---------------------------------------------------------------------------------------------

/** Reads the whole image once (holes cost nothing to read) so it sits in the page cache. */
function warmPageCache(image) {
  const fd = openSync(image, "r");
  const buf = Buffer.allocUnsafe(16 * MIB);
  try {
    const size = statSync(image).size;
    for (let offset = 0; offset < size; offset += buf.length) readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
}

async function measure(image, label, azcopy) {
  const { startAzurite } = await import("../test/harness/azurite.ts");
  const {
    StorageSharedKeyCredential,
    BlobServiceClient,
    generateBlobSASQueryParameters,
    ContainerSASPermissions,
  } = await import("@azure/storage-blob");
  const results = {};
  const tools = ["sig-publish", "azcopy", "naive", "bound"].filter(
    (t) => toolFilter === undefined || toolFilter.includes(t),
  );
  for (const tool of tools) {
    if (tool === "naive" && statSync(image).size > 32 * GIB) {
      results[tool] = { na: "skipped: would write every page (>32 GiB) to the server" };
      continue;
    }
    if (tool === "azcopy" && !azcopy.bin) {
      results[tool] = { na: azcopy.reason };
      continue;
    }
    // Every tool starts from a warm page cache: otherwise the first one alone pays for reading the
    // image's data from disk (measured: 22.7 s cold vs 3.6 s warm for the hash pass over (a)).
    warmPageCache(image);
    const az = await startAzurite();
    try {
      const credential = new StorageSharedKeyCredential(az.accountName, az.accountKey);
      const container = new BlobServiceClient(az.blobEndpoint, credential).getContainerClient("bench");
      await container.create();
      const url = `${container.url}/${label}.vhd`;
      log(`  ${label}: ${tool} …`);
      let r;
      if (tool === "azcopy") {
        const sas = generateBlobSASQueryParameters(
          {
            containerName: "bench",
            permissions: ContainerSASPermissions.parse("racwl"),
            expiresOn: new Date(Date.now() + 6 * 3600e3),
          },
          credential,
        ).toString();
        const env = {
          ...process.env,
          AZCOPY_LOG_LOCATION: join(work, "azcopy-logs"),
          AZCOPY_JOB_PLAN_LOCATION: join(work, "azcopy-plans"),
        };
        r = await timed(
          azcopy.bin,
          [
            "copy",
            image,
            `${url}?${sas}`,
            "--from-to",
            "LocalBlob",
            "--blob-type",
            "PageBlob",
            "--output-level",
            "quiet",
          ],
          env,
        );
        // azcopy uploads the file as is; count what landed
        const ranges = [];
        for await (const p of container.getPageBlobClient(`${label}.vhd`).listPageRanges())
          ranges.push(p.end - p.start + 1);
        r.bytesSent = ranges.reduce((s, x) => s + x, 0);
      } else {
        r = await timed(process.execPath, [
          fileURLToPath(import.meta.url),
          "--child",
          tool,
          image,
          url,
          az.accountName,
          az.accountKey,
        ]);
        const j = JSON.parse(r.stdout.trim().split("\n").pop());
        r.bytesSent = j.bytesSent;
        if (tool === "bound") r.ms = j.ms; // only the ingest is the bound
      }
      results[tool] = r;
    } catch (e) {
      results[tool] = { na: String(e.message).split("\n")[0].slice(0, 120) };
    } finally {
      await az.stop();
    }
  }
  return results;
}

function fmtBytes(n) {
  if (n === undefined) return "";
  return n >= GIB ? `${(n / GIB).toFixed(2)} GiB` : `${(n / MIB).toFixed(1)} MiB`;
}

async function main() {
  for (const tool of ["qemu-img", "mkfs.ext4", "debugfs"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      throw new Error(`${tool} is missing: install qemu-utils and e2fsprogs (.ci/run does)`);
    }
  }
  const a = await imageA();
  const images = [
    ["a", `(a) ext4 ${sizes.a / GIB} GiB fixed`, a],
    ["b", `(b) synthetic ${sizes.b / GIB} GiB`, await imageB()],
    ["c", `(c) dynamic of (a)`, await imageC(a)],
    ["d", `(d) sparse ${sizes.d / GIB} GiB`, await imageD()],
  ].filter(([k]) => !only || only.includes(k));
  const azcopy = azcopyBinary();
  if (!azcopy.bin) log(`azcopy: n/a (${azcopy.reason})`);
  const rows = [];
  for (const [key, label, path] of images) {
    log(`${label}: ${path}`);
    const r = await measure(path, key, azcopy);
    rows.push([label, r]);
  }
  const header = "| image | uploader | wall | ×azcopy | ×bound | sent | peak RSS |";
  const lines = [header, "|---|---|---:|---:|---:|---:|---:|"];
  for (const [label, r] of rows) {
    for (const tool of ["sig-publish", "azcopy", "naive", "bound"]) {
      const x = r[tool];
      if (!x || x.na) {
        lines.push(`| ${label} | ${tool} | n/a | | | | ${x?.na ?? ""} |`);
        continue;
      }
      const vsAz = r.azcopy?.ms ? (x.ms / r.azcopy.ms).toFixed(2) : "n/a";
      const vsBound = r.bound?.ms ? (x.ms / r.bound.ms).toFixed(2) : "n/a";
      const rss =
        tool === "azcopy" || tool === "bound" || tool === "naive" || tool === "sig-publish"
          ? fmtBytes(x.rss)
          : "";
      lines.push(
        `| ${label} | ${tool} | ${(x.ms / 1000).toFixed(1)} s | ${vsAz} | ${vsBound} | ${fmtBytes(x.bytesSent)} | ${rss} |`,
      );
    }
  }
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / GIB).toFixed(0)} GiB RAM, node ${process.version}${quick ? ", --quick sizes" : ""}`;
  process.stdout.write(`\n${machine}\n\n${lines.join("\n")}\n`);
}

await main();
