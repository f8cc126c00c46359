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
import { BadRequestError, UnsupportedMediaError, VerificationError } from '../core/errors.ts';
import type { Metrics } from './metrics.ts';

export interface ServerOptions {
  log: Logger;
  metrics: Metrics;
  routes: WebhookRoute[];
  bodyLimitBytes: number;
  /** 'starting' | 'ready' | 'draining': /healthz answers 200 only when ready. */
  state: () => 'starting' | 'ready' | 'draining';
}

class TooLargeError extends Error {}

/**
 * The client went away before its body was complete (Node's IncomingMessage errors with `aborted` /
 * ECONNRESET). Nothing to answer and nothing wrong on our side: a debug line, not an error with a stack.
 */
class ClientAbortedError extends Error {}

/** Read the whole body as bytes, failing fast past the limit (checks Content-Length first). */
async function readRawBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new TooLargeError();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        req.resume();
        throw new TooLargeError();
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof TooLargeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (req.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (err as Error).message === 'aborted') {
      throw new ClientAbortedError((err as Error).message);
    }
    throw err;
  }
  return Buffer.concat(chunks);
}

export function createApp(opts: ServerOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  const router = new Router();

  router.get('/healthz', (ctx) => {
    const state = opts.state();
    ctx.status = state === 'ready' ? 200 : 503;
    ctx.body = { status: state === 'ready' ? 'ok' : state };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = opts.metrics.registry.contentType;
    ctx.body = await opts.metrics.registry.metrics();
  });

  for (const route of opts.routes) {
    const handler = async (ctx: Koa.Context) => {
      const end = opts.metrics.httpDuration.startTimer({ route: route.path });
      let answer: HttpAnswer;
      try {
        const rawBody = route.method === 'POST' ? await readRawBody(ctx.req, opts.bodyLimitBytes) : Buffer.alloc(0);
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
      if (answer.contentType) ctx.type = answer.contentType;
      if (answer.body !== undefined) ctx.body = answer.body;
      else if (answer.status === 200) ctx.body = '';
      opts.metrics.httpRequests.inc({ route: route.path, status: String(answer.status) });
      end();
    };
    if (route.method === 'GET') router.get(route.path, handler);
    else router.post(route.path, handler);
  }

  app.use(router.routes()).use(router.allowedMethods());
  app.on('error', (err: unknown) => opts.log.debug({ err }, 'koa error'));
  return app;
}

/** The contract's error→status mapping; the reason goes back as JSON `{"error": ...}`. */
export function errorAnswer(err: unknown, log: Logger, route: string): HttpAnswer {
  if (err instanceof TooLargeError) return { status: 413, body: { error: 'body too large' } };
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
  log.error({ err, route }, 'webhook handler failed');
  return { status: 500, body: { error: 'internal error' } };
}

export async function listen(app: Koa, port: number, host: string): Promise<http.Server> {
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
