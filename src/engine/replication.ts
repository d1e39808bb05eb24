/**
 * Watches an image version until every target region has replicated, one region failed, or the
 * timeout passed. Logs one line whenever a region's state or progress changes. Pure loop: reading,
 * clock and sleep are injected, so tests drive it without waiting.
 */
import { sleep as sleepFor } from "../core/async.ts";
import type { ReplicationState } from "./contract.ts";
import type { ImageVersionInfo, RegionReplication } from "./ports.ts";

export interface ReplicationOutcome {
  readonly state: ReplicationState;
  readonly regions: readonly RegionReplication[];
  readonly provisioningState?: string;
  readonly timedOut: boolean;
  /** One actionable sentence when the state is Failed or the wait timed out. */
  readonly problem?: string;
}

export interface WatchReplicationOptions {
  readonly read: () => Promise<ImageVersionInfo | undefined>;
  /** Target regions expected in the status (normalised names). */
  readonly targetRegions: readonly string[];
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly log: (line: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

const normalize = (region: string): string => region.toLowerCase().replace(/[\s_-]/g, "");

/** Aggregates one reading into a state (without timeout handling). */
export function assessReplication(
  version: ImageVersionInfo,
  targetRegions: readonly string[],
): { state: ReplicationState; regions: RegionReplication[]; failed: RegionReplication[] } {
  const reported = version.replication?.regions ?? [];
  const byName = new Map(reported.map((r) => [normalize(r.region), r]));
  const regions: RegionReplication[] = targetRegions.map(
    (name) => byName.get(normalize(name)) ?? { region: name, state: "Unknown" },
  );
  const failed = regions.filter((r) => r.state === "Failed");
  if (failed.length > 0 || version.provisioningState === "Failed")
    return { state: "Failed", regions, failed };
  const allDone = regions.every((r) => r.state === "Completed");
  if (allDone && version.provisioningState === "Succeeded") return { state: "Completed", regions, failed };
  const started = regions.some((r) => r.state === "Replicating" || r.state === "Completed");
  return {
    state: started || version.provisioningState !== undefined ? "InProgress" : "NotStarted",
    regions,
    failed,
  };
}

function describeRegion(r: RegionReplication): string {
  const progress = r.progress === undefined ? "" : ` ${r.progress}%`;
  const details = r.details === undefined || r.details === "" ? "" : ` (${r.details})`;
  return `${r.region}: ${r.state}${progress}${details}`;
}

export async function watchReplication(options: WatchReplicationOptions): Promise<ReplicationOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? sleepFor;
  const deadline = now() + options.timeoutMs;
  const lastSeen = new Map<string, string>();
  let last: ReturnType<typeof assessReplication> | undefined;
  let provisioningState: string | undefined;

  for (;;) {
    options.signal?.throwIfAborted();
    const version = await options.read();
    if (version === undefined) {
      return {
        state: "Failed",
        regions: [],
        timedOut: false,
        problem:
          "The image version disappeared while replicating (deleted by someone else?). Re-run the publish to create it again.",
      };
    }
    provisioningState = version.provisioningState;
    last = assessReplication(version, options.targetRegions);
    for (const region of last.regions) {
      const line = describeRegion(region);
      if (lastSeen.get(region.region) !== line) {
        lastSeen.set(region.region, line);
        options.log(`replication ${line}`);
      }
    }
    if (last.state === "Failed") {
      const where = last.failed.map((r) => describeRegion(r)).join("; ");
      return {
        state: "Failed",
        regions: last.regions,
        timedOut: false,
        ...(provisioningState === undefined ? {} : { provisioningState }),
        problem:
          (where === ""
            ? `The image version's provisioning failed (provisioningState ${provisioningState ?? "Failed"}).`
            : `Replication failed in ${where}.`) +
          " Check the region's quota and storage type support, then re-run: the publish resumes, or remove the region from version.targetRegions.",
      };
    }
    if (last.state === "Completed") {
      return {
        state: "Completed",
        regions: last.regions,
        timedOut: false,
        ...(provisioningState === undefined ? {} : { provisioningState }),
      };
    }
    const remaining = deadline - now();
    if (remaining <= 0) {
      const pending = last.regions.filter((r) => r.state !== "Completed").map((r) => describeRegion(r));
      return {
        state: last.state,
        regions: last.regions,
        timedOut: true,
        ...(provisioningState === undefined ? {} : { provisioningState }),
        problem: `Replication did not finish within the timeout; still pending: ${pending.join("; ")}. Azure keeps replicating: raise timeout-minutes, or run \`sig-publish status\` later.`,
      };
    }
    await sleep(Math.min(options.intervalMs, remaining), options.signal);
  }
}
