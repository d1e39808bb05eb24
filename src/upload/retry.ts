/**
 * Retries of blob requests: 408/429/5xx, connection resets and timeouts, and MD5 mismatches
 * (corruption in transit), with exponential backoff and full jitter, never shorter than the
 * server's Retry-After. Aborts stop waiting at once.
 */
import { BlobRequestError } from "./target.ts";
import { sleep as sleepFor } from "../core/async.ts";

export interface RetryOptions {
  /** Attempts in all, including the first. Default 6. */
  readonly maxAttempts?: number;
  /** Default 500 ms: the cap of the first backoff, doubled on each attempt. */
  readonly baseDelayMs?: number;
  /** Default 30 s. */
  readonly maxDelayMs?: number;
  /** For tests. */
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "REQUEST_SEND_ERROR",
  "Md5Mismatch",
  "ServerBusy",
  "OperationTimedOut",
  "InternalError",
]);

export function isRetryable(error: unknown): boolean {
  if (error instanceof RangeError || error instanceof TypeError) return false;
  if (typeof error !== "object" || error === null) return false;
  const e = error as {
    name?: unknown;
    status?: unknown;
    statusCode?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  if (e.name === "AbortError") return false;
  const status =
    typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : undefined;
  if (status !== undefined && RETRYABLE_STATUS.has(status)) return true;
  if (typeof e.code === "string" && RETRYABLE_CODES.has(e.code)) return true;
  if (e.cause !== undefined && e.cause !== error) return isRetryable(e.cause);
  return false;
}

export function retryAfterMs(error: unknown): number | undefined {
  return error instanceof BlobRequestError ? error.retryAfterMs : undefined;
}

/** Parses a Retry-After header: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryStats {
  retries: number;
}

export async function withRetry<T>(
  operation: () => Promise<T>,
  options: RetryOptions = {},
  signal?: AbortSignal,
  stats?: RetryStats,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 6;
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await operation();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (attempt >= maxAttempts || !isRetryable(error)) throw error;
      const backoff = random() * Math.min(cap, base * 2 ** (attempt - 1));
      const delayMs = Math.max(backoff, Math.min(retryAfterMs(error) ?? 0, 10 * cap));
      options.onRetry?.({ attempt, delayMs, error });
      if (stats) stats.retries++;
      await sleep(delayMs, signal);
    }
  }
}
