// Builds dist/ with @vercel/ncc: the action (dist/index.js) and the CLI (dist/cli/index.js).
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

const ncc = "node_modules/@vercel/ncc/dist/ncc/cli.js";
const bundles = [
  ["src/action/main.ts", "dist"],
  ["src/cli/index.ts", "dist/cli"],
];

rmSync("dist", { recursive: true, force: true });
for (const [entry, out] of bundles) {
  execFileSync(
    process.execPath,
    [ncc, "build", entry, "-o", out, "--license", "licenses.txt", "--target", "es2023", "-q"],
    { stdio: "inherit" },
  );
}
