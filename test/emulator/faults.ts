/** Fault injection for the ARM emulator: request-level rules and operation-level faults. */
import type {
  FailProvisioningFault,
  FaultHandle,
  FaultRequestInfo,
  FaultRule,
  ResourceType,
  SlowOperationFault,
} from "./types.ts";

interface ActiveRule {
  readonly rule: FaultRule;
  skipLeft: number;
  left: number;
  fired: number;
}

interface Counted<T> {
  readonly fault: T;
  left: number;
}

export class EmulatorFaults {
  #rules: ActiveRule[] = [];
  #slow: Counted<SlowOperationFault>[] = [];
  #failProvisioning: Counted<FailProvisioningFault>[] = [];
  #failRegions = new Map<string, string | undefined>();

  /**
   * Adds a request-level fault, e.g.
   *   faults.add({ method: "PUT", pathIncludes: "/versions/", respond: { status: 429, retryAfterSeconds: 1 } })
   *   faults.add({ method: "PUT", pathIncludes: "/disks/", dropConnection: "after" })
   * Rules are checked in the order added; the first one that matches fires.
   */
  add(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { rule, skipLeft: rule.skip ?? 0, left: rule.times ?? 1, fired: 0 };
    this.#rules.push(active);
    return {
      remaining: () => active.left,
      hits: () => active.fired,
      remove: () => {
        this.#rules = this.#rules.filter((r) => r !== active);
      },
    };
  }

  /** Replication to these regions fails (for versions created or regions added after the call). */
  failReplicationIn(regions: readonly string[], details?: string): void {
    for (const r of regions) this.#failRegions.set(normalizeRegion(r), details);
  }

  /** Makes operations slower by extraMs (each operation that matches consumes one of `times`). */
  slowOperations(fault: SlowOperationFault): void {
    this.#slow.push({ fault, left: fault.times ?? Infinity });
  }

  /** The next matching create operation(s) end in provisioningState Failed. */
  failProvisioning(fault: FailProvisioningFault): void {
    this.#failProvisioning.push({ fault, left: fault.times ?? 1 });
  }

  /** Removes every fault. */
  clear(): void {
    this.#rules = [];
    this.#slow = [];
    this.#failProvisioning = [];
    this.#failRegions.clear();
  }

  /** @internal */
  takeRule(request: FaultRequestInfo): FaultRule | undefined {
    for (const active of this.#rules) {
      const { rule } = active;
      if (active.left <= 0) continue;
      if (rule.method !== undefined && rule.method.toUpperCase() !== request.method.toUpperCase()) continue;
      if (
        rule.pathIncludes !== undefined &&
        !request.path.toLowerCase().includes(rule.pathIncludes.toLowerCase())
      )
        continue;
      if (rule.match !== undefined && !rule.match(request)) continue;
      if (active.skipLeft > 0) {
        active.skipLeft--;
        continue;
      }
      active.left--;
      active.fired++;
      return rule;
    }
    return undefined;
  }

  /** @internal extra delay for an operation on (type, name) */
  takeExtraDelay(type: ResourceType, name: string): number {
    let extra = 0;
    for (const entry of this.#slow) {
      if (entry.left <= 0) continue;
      const f = entry.fault;
      if (f.type !== undefined && f.type !== type) continue;
      if (f.nameIncludes !== undefined && !name.toLowerCase().includes(f.nameIncludes.toLowerCase()))
        continue;
      entry.left--;
      extra += f.extraMs;
    }
    return extra;
  }

  /** @internal */
  takeProvisioningFailure(type: ResourceType, name: string): { code: string; message: string } | undefined {
    for (const entry of this.#failProvisioning) {
      if (entry.left <= 0) continue;
      const f = entry.fault;
      if (f.type !== type) continue;
      if (f.nameIncludes !== undefined && !name.toLowerCase().includes(f.nameIncludes.toLowerCase()))
        continue;
      entry.left--;
      return {
        code: f.code ?? "InternalOperationError",
        message: f.message ?? `The operation on '${name}' failed (injected fault).`,
      };
    }
    return undefined;
  }

  /** @internal undefined = region does not fail; else the details message */
  replicationFailure(region: string): { details: string } | undefined {
    const key = normalizeRegion(region);
    if (!this.#failRegions.has(key)) return undefined;
    return {
      details:
        this.#failRegions.get(key) ??
        `Replication to region '${key}' failed: InternalOperationError: the regional replication job did not complete (injected fault). Retry the operation or remove the region.`,
    };
  }
}

export function normalizeRegion(region: string): string {
  return region.replace(/\s+/g, "").toLowerCase();
}
