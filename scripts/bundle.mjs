// Builds dist/ with @vercel/ncc: one bundle for the action, one for the CLI.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
const ncc = "node_modules/@vercel/ncc/dist/ncc/cli.js";
rmSync("dist", { recursive: true, force: true });
for (const [entry, out] of [["src/action/main.ts", "dist"]]) {
  execFileSync(
    process.execPath,
    [ncc, "build", entry, "-o", out, "--license", "licenses.txt", "--target", "es2023", "-q"],
    { stdio: "inherit" },
  );
}
