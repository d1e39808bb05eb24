/**
 * runEngine: the one entry point behind the action and the CLI.
 * (Being wired: manifest → VHD facts → Azure facts → version → plan → publish.)
 */
import type { EngineRequest, EngineResult } from "./contract.ts";

export async function runEngine(request: EngineRequest): Promise<EngineResult> {
  throw new Error(`runEngine(${request.mode}) is not wired yet`);
}
