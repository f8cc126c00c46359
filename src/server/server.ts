/**
 * The HTTP server: Koa + @koa/router. Owns raw-body capture (with the size limit), health and metrics,
 * and the error→status mapping of the contract. Webhook routes come from adapters and sources as
 * `WebhookRoute`s; they never see a Koa ctx.
 */
import http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../adapters/types.ts';
import { BadRequestError, StorageUnavailableError, UnsupportedMediaError, VerificationError } from '../core/errors.ts';
import type { StorageHealth } from '../core/storage-health.ts';
import type { Metrics } from './metrics.ts';

export interface ServerOptions {
  log: Logger;
  metrics: Metrics;
  routes: WebhookRoute[];
  bodyLimitBytes: number;
  /** A POST body must be complete within this (ms), else 408 and the connection is closed. */
  bodyTimeoutMs?: number;
  /** 'starting' | 'ready' | 'draining': /healthz answers 200 only when ready. */
  state: () => 'starting' | 'ready' | 'draining';
  /** The store's write health: while failing, /healthz answers 503 degraded. */
  storage?: StorageHealth;
}

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
async function readRawBody(req: http.IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new TooLargeError();
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
      done(undefined, Buffer.concat(chunks));
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

export function createApp(opts: ServerOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  const router = new Router();

  router.get('/healthz', async (ctx) => {
    const state = opts.state();
    // Degraded is 503 so a load balancer sends webhooks to a replica that can store them; the body says
    // why. Healthy stays exactly {"status":"ok"} (contract.md).
    if (state === 'ready' && opts.storage && !(await opts.storage.check())) {
      ctx.status = 503;
      ctx.body = { status: 'degraded', storage: 'failing', reason: opts.storage.reason };
      return;
    }
    ctx.status = state === 'ready' ? 200 : 503;
    ctx.body = { status: state === 'ready' ? 'ok' : state };
  });
  router.get('/metrics', async (ctx) => {
    // Read at scrape time (with a re-probe while failing), so the gauge follows recovery too.
    opts.metrics.storageHealthy.set(!opts.storage || (await opts.storage.check()) ? 1 : 0);
    ctx.type = opts.metrics.registry.contentType;
    ctx.body = await opts.metrics.registry.metrics();
  });

  // Exact paths (every route without a `:param`) are found by one Map lookup before the router walks its
  // regex list: the console adds dozens of GET routes, and a webhook delivery need not test them all
  // (issue 22 §2). The router keeps every route too, for HEAD, trailing slashes and 405s.
  const exact = new Map<string, (ctx: Koa.Context) => Promise<void>>();
  for (const route of opts.routes) {
    // Labelled children made once per route: prom-client hashes the label set on every un-cached call.
    const duration = opts.metrics.httpDuration.labels({ route: route.path });
    const counted = new Map<number, { inc(): void }>();
    const count = (status: number) => {
      let c = counted.get(status);
      if (!c) counted.set(status, (c = opts.metrics.httpRequests.labels({ route: route.path, status: String(status) })));
      c.inc();
    };
    const handler = async (ctx: Koa.Context) => {
      const end = duration.startTimer();
      let answer: HttpAnswer;
      try {
        const rawBody = route.method === 'POST' ? await readRawBody(ctx.req, opts.bodyLimitBytes, opts.bodyTimeoutMs ?? 10_000) : Buffer.alloc(0);
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(ctx.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        const raw: RawRequest = {
          method: ctx.method,
          headers,
          query: new URLSearchParams(ctx.querystring),
          params: { ...(ctx.params as Record<string, string>) },
          rawBody,
          receivedAt: Date.now(),
        };
        answer = await route.handle(raw);
      } catch (err) {
        answer = errorAnswer(err, opts.log, route.path);
      }
      ctx.status = answer.status;
      // A body that did not arrive in time: its remaining bytes would be read as the next request.
      if (answer.status === 408) ctx.set('Connection', 'close');
      if (answer.headers) for (const [k, v] of Object.entries(answer.headers)) ctx.set(k, v);
      if (answer.contentType) ctx.type = answer.contentType;
      if (answer.body !== undefined) ctx.body = answer.body;
      else if (answer.status === 200) ctx.body = '';
      count(answer.status);
      end();
    };
    if (!route.path.includes(':')) exact.set(`${route.method} ${route.path}`, handler);
    if (route.method === 'GET') router.get(route.path, handler);
    else router.post(route.path, handler);
  }

  app.use(async (ctx, next) => {
    const h = exact.get(`${ctx.method} ${ctx.path}`);
    return h ? h(ctx) : next();
  });
  app.use(router.routes()).use(router.allowedMethods());
  app.on('error', (err: unknown) => opts.log.debug({ err }, 'koa error'));
  return app;
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

export interface ListenLimits {
  maxConnections?: number;
  headersTimeoutMs?: number;
  /** Node's own cap on receiving a whole request (all routes): a backstop behind the body deadline. */
  requestTimeoutMs?: number;
}

export async function listen(app: Koa, port: number, host: string, limits: ListenLimits = {}): Promise<http.Server> {
  // Node checks headers/request timeouts every connectionsCheckingInterval (default 30 s): 1 s makes
  // them hold to about a second.
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, app.callback());
  server.keepAliveTimeout = 5_000;
  // Past maxConnections node closes new sockets at once: about 19 000 slow sockets exhausted the
  // process's file descriptors, after which nothing (not even /healthz) could be answered.
  if (limits.maxConnections !== undefined) server.maxConnections = limits.maxConnections;
  if (limits.headersTimeoutMs !== undefined) server.headersTimeout = limits.headersTimeoutMs;
  if (limits.requestTimeoutMs !== undefined) server.requestTimeout = Math.max(limits.requestTimeoutMs, server.headersTimeout);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
