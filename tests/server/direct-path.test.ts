/**
 * The direct path (a POST to an exact webhook path answered without Koa, server.ts requestListener) must
 * answer byte for byte what the Koa path answers: same status, Content-Type, Content-Length, extra
 * headers and body, for every kind of answer a route gives and for every error the runner maps.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { HttpAnswer, WebhookRoute } from '../../src/adapters/types.ts';
import { BadRequestError, StorageUnavailableError, UnsupportedMediaError, VerificationError } from '../../src/core/errors.ts';
import { createApp, listen } from '../../src/server/server.ts';
import { createMetrics } from '../../src/server/metrics.ts';

const answers: Record<string, () => HttpAnswer> = {
  json: () => ({ status: 200, body: { ok: true, duplicate: false } }),
  empty200: () => ({ status: 200 }),
  emptyText: () => ({ status: 200, body: '', contentType: 'text/plain' }),
  plain: () => ({ status: 200, body: '1616140317555161061', contentType: 'text/plain' }),
  xml: () => ({ status: 200, body: '<xml><Encrypt>abc</Encrypt></xml>' }),
  jsonTyped: () => ({ status: 200, body: '{"encrypt":"x"}', contentType: 'application/json' }),
  html: () => ({ status: 200, body: '<!doctype html><p>hi</p>', contentType: 'text/html; charset=utf-8', headers: { 'Cache-Control': 'no-store' } }),
  redirect: () => ({ status: 303, headers: { Location: '/web/alerts', 'Set-Cookie': ['a=1; HttpOnly', 'b=2; HttpOnly'] } }),
  noContent: () => ({ status: 204 }),
  buffer: () => ({ status: 200, body: Buffer.from([1, 2, 3]) }),
  unicode: () => ({ status: 400, body: { error: '签名不对 ✗' } }),
  typeInHeaders: () => ({ status: 200, body: '<xml/>', headers: { 'Content-Type': 'application/xml' } }),
  jsonWithType: () => ({ status: 200, body: { a: 1 }, contentType: 'text/plain' }),
  statusWithType: () => ({ status: 404, contentType: 'application/json' }),
  noContentWithHeaders: () => ({ status: 204, headers: { 'Content-Type': 'text/plain', 'X-A': '1' } }),
};
const errors: Record<string, () => Error> = {
  verify: () => new VerificationError('bad signature'),
  bad: () => new BadRequestError('malformed JSON: x'),
  media: () => new UnsupportedMediaError('expected application/json'),
  storage: () => new StorageUnavailableError('disk full'),
  crash: () => new Error('bug'),
};
const routes: WebhookRoute[] = [
  ...Object.entries(answers).map(([name, a]) => ({ method: 'POST' as const, path: `/a/${name}`, handle: async () => a() })),
  ...Object.entries(errors).map(([name, e]) => ({ method: 'POST' as const, path: `/e/${name}`, handle: async () => { throw e(); } })),
  { method: 'POST', path: '/echo', handle: async (req) => ({ status: 200, body: { len: req.rawBody.length, q: req.query.get('x'), sig: req.headers['x-sig'] ?? null } }) },
];

let direct: http.Server;
let viaKoa: http.Server;
const port = (s: http.Server) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  const opts = { log: pino({ level: 'silent' }), metrics: createMetrics(), routes, bodyLimitBytes: 64, state: () => 'ready' as const };
  direct = await listen(createApp(opts), 0, '127.0.0.1');
  // The same routes through Koa only (what every route got before the direct path existed).
  viaKoa = http.createServer(createApp({ ...opts, metrics: createMetrics() }).callback());
  await new Promise<void>((r) => viaKoa.listen(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  await new Promise((r) => direct.close(r));
  await new Promise((r) => viaKoa.close(r));
});

/** Status, the headers that matter, and the body bytes of one POST. */
function post(server: http.Server, path: string, body = '{}', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: port(server), path, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = res.headers;
        resolve({ status: res.statusCode!, headers: { type: h['content-type'], length: h['content-length'], location: h.location, cookie: h['set-cookie'], cache: h['cache-control'], connection: h.connection }, body: Buffer.concat(chunks).toString('latin1') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('direct path = Koa path', () => {
  for (const path of [...Object.keys(answers).map((n) => `/a/${n}`), ...Object.keys(errors).map((n) => `/e/${n}`), '/echo?x=1', '/echo?x=%E4%B8%AD']) {
    it(`POST ${path}`, async () => {
      const [a, b] = await Promise.all([post(direct, path, '{"k":1}', { 'x-sig': 's' }), post(viaKoa, path, '{"k":1}', { 'x-sig': 's' })]);
      expect(a).toEqual(b);
    });
  }

  it('a body over the limit is 413 on both, a wrong method or a trailing slash falls back to Koa', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(100) });
    const [a, b] = await Promise.all([post(direct, '/echo', big), post(viaKoa, '/echo', big)]);
    expect(a.status).toBe(413);
    expect(a).toEqual(b);
    const [c, d] = await Promise.all([post(direct, '/echo/'), post(viaKoa, '/echo/')]);
    expect(c).toEqual(d);
    const get = await fetch(`http://127.0.0.1:${port(direct)}/a/json`);
    expect(get.status).toBe(405);
  });

  it('an answer that cannot be written is a 500 without its headers; a #fragment is not part of the query', async () => {
    const bad: WebhookRoute = { method: 'POST', path: '/bad', handle: async () => ({ status: 200, body: 'x', headers: { 'Set-Cookie': 'session=s1', 'X-Bad': 'a\nb' } }) };
    const s = await listen(createApp({ log: pino({ level: 'silent' }), metrics: createMetrics(), routes: [bad, routes.at(-1)!], bodyLimitBytes: 64, state: () => 'ready' }), 0, '127.0.0.1');
    try {
      const r = await post(s, '/bad');
      expect(r.status).toBe(500);
      expect(r.headers.cookie).toBeUndefined();
      expect(JSON.parse(r.body)).toEqual({ error: 'internal error' });
      expect(JSON.parse((await post(s, '/echo?x=1#frag')).body).q).toBe('1');
    } finally {
      await new Promise((r) => s.close(r));
    }
  });

  it('answers the JSON the route gave', async () => {
    const r = await post(direct, '/echo?x=1', '{"k":1}', { 'x-sig': 's' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ len: 7, q: '1', sig: 's' });
    expect(r.headers.type).toBe('application/json; charset=utf-8');
  });
});
