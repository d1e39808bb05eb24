/**
 * Every refusal of a disk image is one VhdError: a stable `code`, the file, what is wrong, and the
 * exact command that fixes it. The message joins all three so a log line alone is actionable.
 */
export type VhdErrorCode =
  | "NOT_FOUND"
  | "NOT_A_FILE"
  | "TRUNCATED"
  | "BAD_COOKIE"
  | "BAD_CHECKSUM"
  | "DIFFERENCING"
  | "UNSUPPORTED_TYPE"
  | "SIZE_MISMATCH"
  | "MISALIGNED_SIZE"
  | "RAW_MISALIGNED"
  | "TOO_SMALL"
  | "TOO_LARGE"
  | "BAD_DYNAMIC_HEADER"
  | "BAD_BAT";

export class VhdError extends Error {
  readonly code: VhdErrorCode;
  readonly path: string;
  /** What is wrong, in one sentence (without the path and the fix). */
  readonly problem: string;
  /** The command (or short instruction) that fixes it. */
  readonly fix: string;

  constructor(code: VhdErrorCode, path: string, problem: string, fix: string) {
    super(`${path}: ${problem}\n  fix: ${fix}`);
    this.name = "VhdError";
    this.code = code;
    this.path = path;
    this.problem = problem;
    this.fix = fix;
  }
}

/** Shell-quote a path for a copy-pasteable command. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
