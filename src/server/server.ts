/**
 * The HTTP server: Koa + @koa/router, with a direct path for webhook POSTs (requestListener). Owns
 * health and metrics; raw-body capture (with the size limit) and the error→status mapping of the
 * contract are in route-runner.ts. Webhook routes come from adapters and sources as `WebhookRoute`s;
 * they never see a Koa ctx.
 */
import http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { WebhookRoute } from '../adapters/types.ts';
import type { StorageHealth } from '../core/storage-health.ts';
import type { Metrics } from './metrics.ts';
import { routeRunner, writeAnswer, type RouteRunner } from './route-runner.ts';

/** Per app, its exact-path POST routes (the webhooks), answered without a Koa context (listen()). */
const DIRECT_ROUTES = new WeakMap<Koa, Map<string, RouteRunner>>();

/**
 * The server's request handler: a POST to an exact webhook path is run and answered directly on
 * Node's request/response (route-runner.ts: the same runner, statuses, headers and bytes as the Koa
 * path); everything else (GETs, HEAD, path parameters, 404/405) goes through Koa and the router.
 */
export function requestListener(app: Koa): http.RequestListener {
  const koa = app.callback();
  const direct = DIRECT_ROUTES.get(app) ?? new Map<string, RouteRunner>();
  return (req, res) => {
    // A fragment is never part of the path or the query (Koa's parseurl drops it too).
    const raw = req.url ?? '/';
    const hash = raw.indexOf('#');
    const url = hash < 0 ? raw : raw.slice(0, hash);
    const q = url.indexOf('?');
    const run = req.method === 'POST' ? direct.get(q < 0 ? url : url.slice(0, q)) : undefined;
    if (!run) return void koa(req, res);
    run(req, q < 0 ? '' : url.slice(q + 1), {})
      .then((answer) => writeAnswer(res, answer))
      // The runner maps every error to an answer; this is a bug's last line of defence, never a hang.
      .catch((err: unknown) => {
        app.emit('error', err);
        try {
          if (res.headersSent) throw err;
          // As Koa's onerror: none of the failed answer's headers (a cookie, a Location) go out on a 500.
          for (const name of res.getHeaderNames()) res.removeHeader(name);
          writeAnswer(res, { status: 500, body: { error: 'internal error' } });
        } catch {
          res.destroy();
        }
      });
  };
}

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
  const direct = new Map<string, RouteRunner>();
  for (const route of opts.routes) {
    const run = routeRunner(route, opts);
    const handler = async (ctx: Koa.Context) => {
      const answer = await run(ctx.req, ctx.querystring, { ...(ctx.params as Record<string, string>) });
      // One writer for both paths (route-runner.ts writeAnswer): Koa hands the response over. A HEAD
      // gets the headers only (Node's ServerResponse sends no body for one); a throw is Koa's 500.
      ctx.status = answer.status;
      ctx.respond = false;
      writeAnswer(ctx.res, answer);
    };
    if (!route.path.includes(':')) exact.set(`${route.method} ${route.path}`, handler);
    if (!route.path.includes(':') && route.method === 'POST') direct.set(route.path, run);
    if (route.method === 'GET') router.get(route.path, handler);
    else router.post(route.path, handler);
  }
  DIRECT_ROUTES.set(app, direct);

  app.use(async (ctx, next) => {
    const h = exact.get(`${ctx.method} ${ctx.path}`);
    return h ? h(ctx) : next();
  });
  app.use(router.routes()).use(router.allowedMethods());
  app.on('error', (err: unknown) => opts.log.debug({ err }, 'koa error'));
  return app;
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
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, requestListener(app));
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
