/**
 * One publish per image definition at a time: a blob lease on a small lock blob in the staging
 * container, renewed while the publish runs and released at the end (also on failure and
 * cancel). The lock blob's metadata names the holder (the run URL) so a waiting publish can say
 * who it is waiting for.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { HeldLock, LockService } from "../../engine/ports.ts";
import { sleep } from "../../core/async.ts";
import { InputError } from "../../core/problems.ts";

export interface BlobLeaseLockOptions {
  /** Lease duration, 15–60 s (Azure's range for finite leases). */
  readonly leaseSeconds?: number;
  /** How often a waiting publish retries. */
  readonly retrySeconds?: number;
  readonly log?: (message: string) => void;
}

interface StorageErrorLike {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}

function storageErrorCode(error: unknown): string | undefined {
  const e = error as StorageErrorLike | undefined;
  return e?.details?.errorCode ?? e?.code;
}

function statusOf(error: unknown): number | undefined {
  return (error as StorageErrorLike | undefined)?.statusCode;
}

export class BlobLeaseLock implements LockService {
  readonly #container: ContainerClient;
  readonly #leaseSeconds: number;
  readonly #retryMs: number;
  readonly #log: (message: string) => void;

  constructor(container: ContainerClient, options: BlobLeaseLockOptions = {}) {
    this.#container = container;
    this.#leaseSeconds = options.leaseSeconds ?? 60;
    this.#retryMs = (options.retrySeconds ?? 5) * 1000;
    this.#log = options.log ?? (() => {});
  }

  async acquire(
    name: string,
    holder: string,
    options: { waitSeconds: number; signal?: AbortSignal },
  ): Promise<HeldLock> {
    const blob = this.#container.getBlockBlobClient(name);
    try {
      await blob.upload("", 0, { conditions: { ifNoneMatch: "*" } });
    } catch (error) {
      // 409 (leased) or 412 (exists): the lock blob is already there, which is fine.
      if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
    }
    const lease = blob.getBlobLeaseClient();
    const deadline = Date.now() + options.waitSeconds * 1000;
    let announced = false;
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        await lease.acquireLease(this.#leaseSeconds);
        break;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
      const current = await this.#holderOf(name);
      if (Date.now() >= deadline) {
        throw new InputError({
          code: "lock.busy",
          message: `Another publish of this image holds the lock ${this.#container.containerName}/${name}: ${current}. Waited ${options.waitSeconds} s.`,
          fix: "Wait for that run to finish (or cancel it) and re-run; a run that died releases the lock within 60 s. Workflows should use a concurrency group per image.",
        });
      }
      if (!announced) {
        this.#log(`Waiting for the publish lock held by ${current} (up to ${options.waitSeconds} s)…`);
        announced = true;
      }
      await sleep(Math.min(this.#retryMs, Math.max(0, deadline - Date.now())), options.signal);
    }

    const leaseId = lease.leaseId;
    await blob.setMetadata(
      { holder: encodeURIComponent(holder), since: new Date().toISOString() },
      { conditions: { leaseId } },
    );

    const lost = new AbortController();
    const renewEvery = Math.max(1000, (this.#leaseSeconds * 1000) / 3);
    const timer = setInterval(() => {
      lease.renewLease().catch((error: unknown) => {
        clearInterval(timer);
        lost.abort(
          new Error(`The publish lock ${name} was lost (${storageErrorCode(error) ?? String(error)}).`),
        );
      });
    }, renewEvery);
    timer.unref();

    let released = false;
    return {
      signal: lost.signal,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        try {
          await lease.releaseLease();
        } catch (error) {
          // Lost or expired leases cannot be released; anything else is worth a line.
          if (statusOf(error) !== 409)
            this.#log(`Could not release the publish lock ${name}: ${String(error)}`);
        }
      },
    };
  }

  async #holderOf(name: string): Promise<string> {
    try {
      const props = await this.#container.getBlockBlobClient(name).getProperties();
      const holder = props.metadata?.["holder"];
      const since = props.metadata?.["since"];
      if (holder === undefined) return "an unnamed holder";
      return `${decodeURIComponent(holder)}${since === undefined ? "" : ` (since ${since})`}`;
    } catch {
      return "an unknown holder";
    }
  }
}
