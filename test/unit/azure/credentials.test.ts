import { describe, expect, it } from "vitest";
import {
  developerCredential,
  probeCredential,
  staticTokenCredential,
} from "../../../src/adapters/azure/credentials.ts";

describe("CLI credentials", () => {
  it("without any configuration tries only the Azure CLI (no managed-identity probe of the metadata endpoint)", async () => {
    const reason = await probeCredential(
      developerCredential({ PATH: "/nonexistent" }),
      "https://management.azure.com/.default",
      10_000,
    );
    expect(reason).toBeDefined();
    expect(reason).toMatch(/Azure CLI/i);
    expect(reason).not.toMatch(/ManagedIdentity|IMDS|169\.254/i);
  });

  it("the static token credential hands out its token (emulator only)", async () => {
    const token = await staticTokenCredential("abc").getToken("scope");
    expect(token?.token).toBe("abc");
    expect(token?.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });
});
