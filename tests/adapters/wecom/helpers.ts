/** Shared test helpers: fixtures, a route runner mapping errors like the server, a fake qyapi. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage as HttpReq, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { BadRequestError, UnsupportedMediaError, VerificationError } from '../../../src/core/errors.ts';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../../../src/adapters/types.ts';

export const FIX = new URL('../../fixtures/wecom/', import.meta.url).pathname;
export const fixture = (name: string): string => readFileSync(FIX + name, 'utf8');
export const fixtureJson = <T = any>(name: string): T => JSON.parse(fixture(name)) as T;
export const vectors = fixtureJson('wecom-test-vectors.json');
export const setA = vectors.official_set_A_php_sample;
export const silentLog = pino({ level: 'silent' });

/** A raw request as the server would hand it (query parsed by URLSearchParams = URL-decoded). */
export function rawRequest(method: string, query: string, body = '', headers: Record<string, string> = {}): RawRequest {
  return { method, headers, query: new URLSearchParams(query), params: {}, rawBody: Buffer.from(body, 'utf8'), receivedAt: Date.now() };
}

/** Run a route like the server does: error classes → 401/400/415. */
export async function run(route: WebhookRoute, req: RawRequest): Promise<HttpAnswer> {
  try {
    return await route.handle(req);
  } catch (err) {
    if (err instanceof VerificationError) return { status: 401, body: { error: err.message } };
    if (err instanceof BadRequestError) return { status: 400, body: { error: err.message } };
    if (err instanceof UnsupportedMediaError) return { status: 415, body: { error: err.message } };
    throw err;
  }
}

export const route = (routes: WebhookRoute[], method: string, path: string): WebhookRoute => {
  const r = routes.find((x) => x.method === method && x.path === path);
  if (!r) throw new Error(`no route ${method} ${path}`);
  return r;
};

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}

/** A fake qyapi on 127.0.0.1: records calls; `handlers[path]` decides the JSON answer. */
export async function fakeApi(handlers: Record<string, (r: Recorded) => unknown>): Promise<{ base: string; calls: Recorded[]; close(): Promise<void> }> {
  const calls: Recorded[] = [];
  const server = createServer((req: HttpReq, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const rec: Recorded = { method: req.method ?? '', path: u.pathname, query: u.searchParams, body: data ? JSON.parse(data) : undefined };
      calls.push(rec);
      const h = handlers[u.pathname];
      const out = h ? h(rec) : { errcode: 0, errmsg: 'ok' };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { base: `http://127.0.0.1:${port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

export const waitFor = async (pred: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};
