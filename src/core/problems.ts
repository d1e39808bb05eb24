/**
 * Every bad input (manifest, VHD, version, region, credentials) ends as one or more Problems:
 * what is wrong, where, and how to fix it. Adapters render them: the action as annotations
 * (`::error file=…,line=…::`), the CLI as `file:line:column: message` lines.
 */

export interface SourceLocation {
  /** Path as the user wrote it / relative to the workspace, e.g. `images/web.image.yml`. */
  readonly file: string;
  /** 1-based */
  readonly line?: number;
  /** 1-based */
  readonly column?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

export interface Problem {
  /** What is wrong, in one sentence, naming the key or value. */
  readonly message: string;
  /** How to fix it (a command, a valid value, a link to the README section). */
  readonly fix?: string;
  readonly location?: SourceLocation;
  /** Dotted manifest key such as `version.targetRegions[1].replicas`, where one applies. */
  readonly key?: string;
  /** Stable machine-readable code, e.g. `manifest.unknown-key`, `vhd.bad-checksum`. */
  readonly code: string;
}

/** An error caused by the user's input; never printed with a stack trace. */
export class InputError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[] | Problem) {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(list.map((p) => formatProblem(p)).join("\n"));
    this.name = "InputError";
    this.problems = list;
  }
}

export function formatProblem(problem: Problem): string {
  const where = problem.location === undefined ? "" : `${formatLocation(problem.location)}: `;
  const fix = problem.fix === undefined ? "" : ` Fix: ${problem.fix}`;
  return `${where}${problem.message}${fix}`;
}

export function formatLocation(location: SourceLocation): string {
  let text = location.file;
  if (location.line !== undefined) {
    text += `:${location.line}`;
    if (location.column !== undefined) text += `:${location.column}`;
  }
  return text;
}
