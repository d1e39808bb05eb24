import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // ARM emulator certificate, trusted by every worker through NODE_EXTRA_CA_CERTS
    globalSetup: ["test/emulator/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
