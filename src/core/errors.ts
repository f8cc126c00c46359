/**
 * Coded errors (Bolt's CodedError, grammY's BotError). `userMessage` is safe to show in chat;
 * everything else goes to the log only.
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_UNKNOWN_COMMAND'
  | 'E_PERMISSION'
  | 'E_NOT_FOUND'
  | 'E_CONFLICT'
  | 'E_VERIFICATION'
  | 'E_BAD_REQUEST'
  | 'E_UNSUPPORTED_MEDIA'
  | 'E_TOO_LARGE'
  | 'E_CONFIG'
  | 'E_UPSTREAM'
  | 'E_STORAGE'
  | 'E_INTERNAL';

export class BotError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly userMessage?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BotError';
  }
}

/** A webhook/platform request whose signature, token or timestamp does not check out → HTTP 401. */
export class VerificationError extends BotError {
  constructor(reason: string) {
    super('E_VERIFICATION', reason);
    this.name = 'VerificationError';
  }
}

/** A verified request whose body is malformed → HTTP 400 with the reason. */
export class BadRequestError extends BotError {
  constructor(reason: string) {
    super('E_BAD_REQUEST', reason);
    this.name = 'BadRequestError';
  }
}

/** → HTTP 415 */
export class UnsupportedMediaError extends BotError {
  constructor(reason: string) {
    super('E_UNSUPPORTED_MEDIA', reason);
    this.name = 'UnsupportedMediaError';
  }
}

/** A user-facing failure with a message that is safe to show in chat (unknown product, API 403 …). */
export class UserFacingError extends BotError {
  constructor(code: ErrorCode, userMessage: string) {
    super(code, userMessage, userMessage);
    this.name = 'UserFacingError';
  }
}

/** An upstream API (GitLab, Sentry, DingTalk, WeCom) answered with an error. */
export class UpstreamError extends BotError {
  constructor(
    readonly service: string,
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super('E_UPSTREAM', `${service}: HTTP ${status}: ${message}`);
    this.name = 'UpstreamError';
  }
}

/**
 * The store could not make a change durable (disk full, read-only database, lost connection) → HTTP 503
 * with the reason: nothing was stored, so the sender should retry (GitLab and published Sentry apps retry
 * 5xx; a 2xx would make them drop a delivery we never kept).
 */
export class StorageUnavailableError extends BotError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('E_STORAGE', `storage unavailable: ${reason}`, undefined, options);
    this.name = 'StorageUnavailableError';
  }
}

/**
 * A chat send that failed, as the adapter that made it classifies it: `transient` ones (the platform is
 * down, busy or throttling us) are retried by the outbox with backoff, the others are recorded and not
 * retried (a bad template or a request the platform says is wrong will not get better by repeating it).
 * `retryAfterMs`: the platform said when to come back (HTTP Retry-After, a throttling window).
 */
export class SendError extends BotError {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super('E_UPSTREAM', message, undefined, options);
    this.name = 'SendError';
  }
}
