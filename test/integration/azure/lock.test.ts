import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobLeaseLock } from "../../../src/adapters/azure/lock.ts";
import { InputError } from "../../../src/core/problems.ts";
import { startAzurite, type AzuriteServer } from "../../harness/azurite.ts";

describe("publish lock (blob lease on Azurite)", () => {
  let azurite: AzuriteServer;
  let container: ContainerClient;
  beforeAll(async () => {
    azurite = await startAzurite();
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("vhds");
    await container.create();
  });
  afterAll(async () => {
    await azurite.stop();
  });

  it("lets one holder in, makes the second wait and name the holder, then admits it after release", async () => {
    const locks = new BlobLeaseLock(container, { leaseSeconds: 15, retrySeconds: 0.2 });
    const first = await locks.acquire("locks/g/img.lock", "https://github.com/o/r/actions/runs/1", {
      waitSeconds: 0,
    });

    const refused = await locks
      .acquire("locks/g/img.lock", "https://github.com/o/r/actions/runs/2", { waitSeconds: 0.5 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as InputError).problems[0]?.code).toBe("lock.busy");
    expect((refused as InputError).message).toContain("actions/runs/1");

    const waiting = locks.acquire("locks/g/img.lock", "https://github.com/o/r/actions/runs/3", {
      waitSeconds: 10,
    });
    await new Promise((r) => setTimeout(r, 300));
    await first.release();
    const second = await waiting;
    const props = await container.getBlockBlobClient("locks/g/img.lock").getProperties();
    expect(decodeURIComponent(props.metadata?.["holder"] ?? "")).toBe(
      "https://github.com/o/r/actions/runs/3",
    );
    expect(props.leaseState).toBe("leased");
    await second.release();
    await second.release(); // idempotent
    const after = await container.getBlockBlobClient("locks/g/img.lock").getProperties();
    expect(after.leaseState).toBe("available");
  });

  it("different images do not block each other", async () => {
    const locks = new BlobLeaseLock(container, { leaseSeconds: 15 });
    const a = await locks.acquire("locks/g/a.lock", "run-a", { waitSeconds: 0 });
    const b = await locks.acquire("locks/g/b.lock", "run-b", { waitSeconds: 0 });
    expect(a.signal.aborted).toBe(false);
    await Promise.all([a.release(), b.release()]);
  });

  it("stops waiting when the publish is cancelled", async () => {
    const locks = new BlobLeaseLock(container, { leaseSeconds: 15, retrySeconds: 0.1 });
    const held = await locks.acquire("locks/g/c.lock", "run-c", { waitSeconds: 0 });
    const cancel = new AbortController();
    const waiting = locks.acquire("locks/g/c.lock", "run-d", { waitSeconds: 30, signal: cancel.signal });
    setTimeout(() => cancel.abort(new Error("cancelled by SIGTERM")), 200);
    await expect(waiting).rejects.toThrow("cancelled by SIGTERM");
    await held.release();
  });
});
