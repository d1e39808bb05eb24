/**
 * Problems → workflow annotations (`::error file=…,line=…,col=…,title=…::message`), so that a bad
 * manifest is marked on the file and line in the pull request's "Files changed" view.
 */
import path from "node:path";
import * as core from "@actions/core";
import type { AnnotationProperties } from "@actions/core";
import type { Problem, SourceLocation } from "../../core/problems.ts";

/** GitHub shows at most 10 error annotations per step; the rest still appear in the log. */
export const ANNOTATIONS_SHOWN_PER_STEP = 10;

/**
 * The location's file relative to the workspace with forward slashes, as annotations need it;
 * undefined for files outside the workspace (a `vhd` input in /tmp), which cannot be annotated.
 */
export function workspaceRelative(file: string, workspace: string): string | undefined {
  const absolute = path.resolve(workspace, file);
  const relative = path.relative(path.resolve(workspace), absolute);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join("/");
}

export function annotationProperties(problem: Problem, workspace: string): AnnotationProperties {
  const properties: { -readonly [K in keyof AnnotationProperties]: AnnotationProperties[K] } = {
    title: problem.key === undefined ? `sig-publish · ${problem.code}` : `sig-publish · ${problem.key}`,
  };
  const location: SourceLocation | undefined = problem.location;
  if (location === undefined) return properties;
  const file = workspaceRelative(location.file, workspace);
  if (file === undefined) return properties;
  properties.file = file;
  if (location.line === undefined) return properties;
  properties.startLine = location.line;
  const endLine = location.endLine ?? location.line;
  if (endLine !== location.line) {
    // Columns may only be sent for single-line annotations.
    properties.endLine = endLine;
    return properties;
  }
  if (location.column !== undefined) {
    properties.startColumn = location.column;
    if (location.endColumn !== undefined && location.endColumn >= location.column) {
      properties.endColumn = location.endColumn;
    }
  }
  return properties;
}

/** The annotation text: the message, the fix on its own line, and the place when not annotatable. */
export function annotationMessage(problem: Problem, workspace: string): string {
  const fix = problem.fix === undefined ? "" : `\nFix: ${problem.fix}`;
  const location = problem.location;
  const unplaced =
    location !== undefined && workspaceRelative(location.file, workspace) === undefined
      ? ` (${location.file}${location.line === undefined ? "" : `:${location.line}`})`
      : "";
  return `${problem.message}${unplaced}${fix}`;
}

/** Emits one error annotation per problem (all of them: the log shows those GitHub does not). */
export function annotateProblems(problems: readonly Problem[], workspace: string): void {
  for (const problem of problems) {
    core.error(annotationMessage(problem, workspace), annotationProperties(problem, workspace));
  }
  if (problems.length > ANNOTATIONS_SHOWN_PER_STEP) {
    core.info(
      `${problems.length} problems were found; GitHub shows the first ${ANNOTATIONS_SHOWN_PER_STEP} as annotations, the log above lists all of them.`,
    );
  }
}
