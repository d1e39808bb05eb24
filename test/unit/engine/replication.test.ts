import { describe, expect, it } from "vitest";
import type { ImageVersionInfo, RegionReplication } from "../../../src/engine/ports.ts";
import { assessReplication, watchReplication } from "../../../src/engine/replication.ts";

function version(provisioningState: string, regions: RegionReplication[]): ImageVersionInfo {
  return {
    id: "/v",
    name: "1.0.0",
    location: "westeurope",
    tags: {},
    sources: {},
    targetRegions: [],
    provisioningState,
    replication: { regions },
  };
}

/** Feeds readings one by one; a fake clock advances by each sleep. */
function scripted(readings: (ImageVersionInfo | undefined)[]) {
  let clock = 0;
  let index = 0;
  const log: string[] = [];
  return {
    log,
    options: {
      read: async () => readings[Math.min(index++, readings.length - 1)],
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
      log: (line: string) => log.push(line),
      intervalMs: 1000,
    },
  };
}

describe("assessReplication", () => {
  it("is Completed only when provisioning succeeded and every target region completed", () => {
    const v = version("Succeeded", [
      { region: "West Europe", state: "Completed", progress: 100 },
      { region: "East US", state: "Completed", progress: 100 },
    ]);
    expect(assessReplication(v, ["westeurope", "eastus"]).state).toBe("Completed");
    expect(assessReplication(v, ["westeurope", "eastus", "southeastasia"]).state).toBe("InProgress");
  });

  it("is Failed as soon as one region failed", () => {
    const v = version("Creating", [
      { region: "westeurope", state: "Completed" },
      { region: "eastus", state: "Failed", details: "quota" },
    ]);
    const result = assessReplication(v, ["westeurope", "eastus"]);
    expect(result.state).toBe("Failed");
    expect(result.failed.map((r) => r.region)).toEqual(["eastus"]);
  });
});

describe("watchReplication", () => {
  it("logs each change once and returns Completed", async () => {
    const s = scripted([
      version("Creating", [{ region: "westeurope", state: "Replicating", progress: 10 }]),
      version("Creating", [{ region: "westeurope", state: "Replicating", progress: 10 }]),
      version("Creating", [{ region: "westeurope", state: "Replicating", progress: 60 }]),
      version("Succeeded", [{ region: "westeurope", state: "Completed", progress: 100 }]),
    ]);
    const outcome = await watchReplication({
      ...s.options,
      targetRegions: ["westeurope"],
      timeoutMs: 60_000,
    });
    expect(outcome.state).toBe("Completed");
    expect(outcome.timedOut).toBe(false);
    expect(s.log).toEqual([
      "replication westeurope: Replicating 10%",
      "replication westeurope: Replicating 60%",
      "replication westeurope: Completed 100%",
    ]);
  });

  it("reports the failing region with an actionable message", async () => {
    const s = scripted([
      version("Creating", [
        { region: "westeurope", state: "Completed", progress: 100 },
        { region: "eastus", state: "Failed", details: "Insufficient quota" },
      ]),
    ]);
    const outcome = await watchReplication({
      ...s.options,
      targetRegions: ["westeurope", "eastus"],
      timeoutMs: 5000,
    });
    expect(outcome.state).toBe("Failed");
    expect(outcome.problem).toContain("eastus: Failed (Insufficient quota)");
    expect(outcome.problem).toContain("re-run");
  });

  it("gives up at the timeout with InProgress and names what is pending", async () => {
    const s = scripted([version("Creating", [{ region: "westeurope", state: "Replicating", progress: 5 }])]);
    const outcome = await watchReplication({ ...s.options, targetRegions: ["westeurope"], timeoutMs: 3500 });
    expect(outcome.state).toBe("InProgress");
    expect(outcome.timedOut).toBe(true);
    expect(outcome.problem).toContain("westeurope: Replicating 5%");
  });

  it("fails clearly when the version disappears", async () => {
    const s = scripted([undefined]);
    const outcome = await watchReplication({ ...s.options, targetRegions: ["westeurope"], timeoutMs: 3500 });
    expect(outcome.state).toBe("Failed");
    expect(outcome.problem).toContain("disappeared");
  });

  it("stops when cancelled", async () => {
    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    const s = scripted([version("Creating", [])]);
    await expect(
      watchReplication({
        ...s.options,
        targetRegions: ["westeurope"],
        timeoutMs: 3500,
        signal: controller.signal,
      }),
    ).rejects.toThrow("cancelled");
  });
});
