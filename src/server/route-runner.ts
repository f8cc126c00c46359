/**
 * One route's request → answer, independent of Koa: read the raw body (limit, deadline), build the
 * RawRequest, call the route, map errors to the contract's statuses, count and time it. Used twice by
 * server.ts: from Koa (every route) and from the direct path (exact-path POST routes: the webhooks),
 * which answers without building a Koa context (issue 22 §2: Koa's context, delegates and respond cost
 * about a third of a bare Koa app's CPU per request, measured with wrk against a bare `http` server).
 */
import type http from 'node:http';
import { STATUS_CODES } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from 'pino';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../adapters/types.ts';
import { BadRequestError, StorageUnavailableError, UnsupportedMediaError, VerificationError } from '../core/errors.ts';
import type { Metrics } from './metrics.ts';

class TooLargeError extends Error {}
class BodyTimeoutError extends Error {}
/**
 * The client went away before its body was complete (Node's IncomingMessage errors with `aborted` /
 * ECONNRESET, or closes without `end`). Nothing to answer and nothing wrong on our side: a debug line,
 * not an error with a stack.
 */
class ClientAbortedError extends Error {}

/**
 * Read the whole body as bytes, failing fast past the limit (checks Content-Length first) and past the
 * deadline: a body trickled a byte at a time would otherwise hold its socket (a file descriptor) for
 * node's requestTimeout (300 s, checked every 30 s: about 330 s). Webhook senders give up after 1–10 s.
 */
function readRawBody(req: http.IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new TooLargeError());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | undefined, body?: Buffer) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.resume();
        done(new TooLargeError());
      } else chunks.push(chunk);
    };
    let ended = false;
    const onEnd = () => {
      ended = true;
      done(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      const code = (err as NodeJS.ErrnoException).code;
      done(code === 'ECONNRESET' || code === 'ECONNABORTED' || err.message === 'aborted' ? new ClientAbortedError(err.message) : err);
    };
    const onClose = () => {
      if (!ended) done(new ClientAbortedError('closed before the body was complete'));
    };
    // Stop reading and answer 408; the handler closes the connection (the rest of the body never comes).
    const timer = setTimeout(() => {
      req.pause();
      done(new BodyTimeoutError());
    }, timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

export interface RunnerOptions {
  log: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  bodyTimeoutMs?: number;
}

/** Runs a route for one request: `(req, query string, path params) → answer`; never throws. */
export type RouteRunner = (req: http.IncomingMessage, querystring: string, params: Record<string, string>) => Promise<HttpAnswer>;

export function routeRunner(route: WebhookRoute, opts: RunnerOptions): RouteRunner {
  // Labelled children made once per route: prom-client hashes the label set on every un-cached call.
  const duration = opts.metrics.httpDuration.labels({ route: route.path });
  const counted = new Map<number, { inc(): void }>();
  const count = (status: number) => {
    let c = counted.get(status);
    if (!c) counted.set(status, (c = opts.metrics.httpRequests.labels({ route: route.path, status: String(status) })));
    c.inc();
  };
  return async (req, querystring, params) => {
    const end = duration.startTimer();
    let answer: HttpAnswer;
    try {
      const rawBody = route.method === 'POST' ? await readRawBody(req, opts.bodyLimitBytes, opts.bodyTimeoutMs ?? 10_000) : Buffer.alloc(0);
      // Node already lower-cases header names; repeated ones (other than set-cookie) come joined.
      const headers: Record<string, string | undefined> = {};
      const src = req.headers;
      for (const k in src) {
        const v = src[k];
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      const raw: RawRequest = { method: req.method ?? 'GET', headers, query: new URLSearchParams(querystring), params, rawBody, receivedAt: Date.now() };
      answer = await route.handle(raw);
    } catch (err) {
      answer = errorAnswer(err, opts.log, route.path);
    }
    count(answer.status);
    end();
    return answer;
  };
}

/** The contract's error→status mapping; the reason goes back as JSON `{"error": ...}`. */
export function errorAnswer(err: unknown, log: Logger, route: string): HttpAnswer {
  if (err instanceof TooLargeError) return { status: 413, body: { error: 'body too large' } };
  if (err instanceof BodyTimeoutError) return { status: 408, body: { error: 'body not received in time' } };
  if (err instanceof ClientAbortedError) {
    log.debug({ route, reason: err.message }, 'client aborted the request before the body was complete');
    // 400: the client cannot read it any more, but the metrics and any proxy log show a client fault.
    return { status: 400, body: { error: 'request body incomplete' } };
  }
  if (err instanceof VerificationError) {
    log.warn({ route, reason: err.message }, 'webhook rejected');
    return { status: 401, body: { error: err.message } };
  }
  if (err instanceof BadRequestError) return { status: 400, body: { error: err.message } };
  if (err instanceof UnsupportedMediaError) return { status: 415, body: { error: err.message } };
  // Nothing was stored: 503 tells the sender to retry (a 2xx would make it drop the delivery).
  if (err instanceof StorageUnavailableError) {
    log.warn({ route, reason: err.message }, 'webhook refused: storage unavailable');
    return { status: 503, body: { error: err.message, retry: true } };
  }
  log.error({ err, route }, 'webhook handler failed');
  return { status: 500, body: { error: 'internal error' } };
}

/** Statuses that carry no body (RFC 9110 §15.3.5, §15.4.5; Koa's `statuses.empty`). */
const EMPTY_STATUS = new Set([204, 205, 304]);

/**
 * The Content-Type Koa would send for `ctx.type = t` with our routes' types: a text type or JSON gets
 * `charset=utf-8` (mime-types' `contentType`), one that names its charset is kept as it is.
 */
function withCharset(t: string): string {
  return /charset/i.test(t) || !(/^text\//i.test(t) || /^application\/json$/i.test(t)) ? t : `${t}; charset=utf-8`;
}

/**
 * Writes an answer on Node's `http.ServerResponse`, for both paths (server.ts), with the rules Koa's
 * body setter and respond() had when the Koa path wrote answers itself (same status, headers, types and
 * lengths): object → JSON, string → text (html when it starts with `<`), Buffer → octet stream, no
 * body → '' on 200 and the status text otherwise.
 */
export function writeAnswer(res: http.ServerResponse, answer: HttpAnswer): void {
  res.statusCode = answer.status;
  if (answer.status === 408) res.setHeader('Connection', 'close');
  if (answer.headers) for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
  if (EMPTY_STATUS.has(answer.status)) {
    for (const h of ['Content-Type', 'Content-Length', 'Transfer-Encoding']) res.removeHeader(h);
    res.end();
    return;
  }
  // Koa's body setter: a type given before the body stands for a string or Buffer; an object is JSON
  // unless the type given already says json; a status without a body is sent as its text.
  const given = answer.contentType ? withCharset(answer.contentType) : (res.getHeader('Content-Type') as string | undefined);
  let body = answer.body;
  let type: string;
  if (body === undefined && answer.status !== 200) {
    body = STATUS_CODES[answer.status] ?? String(answer.status);
    type = 'text/plain; charset=utf-8';
  } else if (body === undefined || typeof body === 'string') {
    body ??= '';
    type = given ?? (/^\s*</.test(body) ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8');
  } else if (Buffer.isBuffer(body)) type = given ?? 'application/octet-stream';
  else if (typeof (body as { pipe?: unknown }).pipe === 'function') {
    // A stream (the console's SSE, a GET route through Koa). pipeline() destroys it when the client goes
    // away and keeps a stream error from being an uncaught exception (as Koa's respond() did).
    res.setHeader('Content-Type', given ?? 'application/octet-stream');
    pipeline(body as NodeJS.ReadableStream, res, () => undefined);
    return;
  } else {
    body = JSON.stringify(body);
    type = given && /\bjson\b/i.test(given) ? given : 'application/json; charset=utf-8';
  }
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body as string | Buffer));
  res.end(body as string | Buffer);
}
