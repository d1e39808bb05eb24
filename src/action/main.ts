/**
 * The action's entry point (dist/index.js): wires the real engine and process signals to run().
 * SIGINT/SIGTERM (a cancelled workflow) abort the engine, which releases its lock and stops; a
 * re-run resumes.
 */
import * as core from "@actions/core";
import { runEngine } from "../engine/run.ts";
import { run } from "./run.ts";

const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    core.warning(`Received ${signal}: cancelling (the lock is released; a re-run resumes).`);
    controller.abort(new Error(`Cancelled by ${signal}`));
  });
}

run({ engine: runEngine, signal: controller.signal }).then(
  (report) => {
    process.exitCode = report.exitCode;
  },
  (error: unknown) => {
    // run() does not throw; this is the last line of defence, still without a stack trace.
    core.setFailed(
      `sig-publish failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  },
);
