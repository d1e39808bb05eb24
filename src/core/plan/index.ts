export { NEEDS_READ_ACCESS, buildPlan, decideVersion, requiredVia, retentionCandidates } from "./build.ts";
export { compareImageDefinition, describeChange, existingSecurityType } from "./definition.ts";
export type { DefinitionComparison } from "./definition.ts";
export { MAX_DISK_NAME, diskKey, intermediateNames, manifestDisks } from "./names.ts";
export type { DiskNames, DiskRef, IntermediateNames } from "./names.ts";
export {
  MAX_LIST_ITEMS,
  MAX_MARKDOWN_CHARS,
  MAX_STEP_ROWS,
  capMarkdown,
  escapeMarkdown,
  planToJson,
  planToObject,
  renderPlanMarkdown,
  renderPlanText,
} from "./render.ts";
export type * from "./types.ts";
