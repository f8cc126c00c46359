/**
 * How the outbox decides about a failed send: the classification (adapters throw SendError where they
 * know; UpstreamError and network errors get a default) and the exponential backoff with jitter.
 */
import { SendError, UpstreamError } from './errors.ts';

/** What a failed attempt means for the message. */
export interface FailureClass {
  transient: boolean;
  retryAfterMs?: number;
  /** One line for /outbox and the log (never a token: adapters keep those out of their messages). */
  error: string;
}

/**
 * Node/undici error codes of a connection that failed or timed out: the platform (or the network to
 * it) is down for now, so the same request may well succeed later.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

/** The default classifier: SendError as thrown; UpstreamError by HTTP status; network errors transient. */
export function classifySendFailure(err: unknown): FailureClass {
  const error = oneLine(err);
  if (err instanceof SendError) return { transient: err.transient, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}), error };
  // An adapter's own error that already knows (DingTalk's RobotSendError: errcode 310000 is permanent,
  // 130101 transient) decides over the HTTP status it may also carry.
  const own = classifiedByAdapter(err);
  if (own) return { ...own, error };
  if (err instanceof UpstreamError) {
    // 0: no HTTP answer at all (the client wraps connection errors so); 408/429/5xx: try again later.
    const transient = err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500;
    return { transient, ...(err.retryAfterSeconds !== undefined ? { retryAfterMs: err.retryAfterSeconds * 1000 } : {}), error };
  }
  if (isNetworkError(err)) return { transient: true, error };
  return { transient: false, error };
}

function classifiedByAdapter(err: unknown): { transient: boolean; retryAfterMs?: number } | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as { transient?: unknown; retryAfterMs?: unknown };
  if (typeof e.transient !== 'boolean') return undefined;
  return { transient: e.transient, ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}) };
}

function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  }
  return false;
}

function oneLine(err: unknown): string {
  const s = err instanceof Error ? `${err.name === 'Error' ? '' : err.name + ': '}${err.message}` : String(err);
  return s.replace(/\s+/g, ' ').slice(0, 300);
}

export interface BackoffOptions {
  /** First retry after about this long (default 1 000 ms). */
  baseMs: number;
  /** Never wait longer than this between attempts (default 1 min). */
  maxMs: number;
}

/**
 * Delay before attempt `attempts + 1`: `base · 2^(attempts-1)`, capped, with "equal jitter" (half fixed,
 * half random) so replicas and chats that failed together do not retry in lock-step. A Retry-After from
 * the platform is honoured as a floor.
 */
export function retryDelayMs(attempts: number, o: BackoffOptions, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.ceil(Math.max(jittered, retryAfterMs ?? 0));
}
