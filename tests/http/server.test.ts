import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { AddressInfo } from 'node:net';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import type { ChatAdapter, RawRequest } from '../../src/adapters/types.ts';
import { loadConfig } from '../../src/config/load.ts';
import { BadRequestError, UnsupportedMediaError, VerificationError } from '../../src/core/errors.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

let bot: Opsbot;
let base: string;
const seen: RawRequest[] = [];

const probe: ChatAdapter = {
  platform: 'test',
  addressPrefixes: ['probe'],
  routes: () => [
    {
      method: 'POST',
      path: '/webhooks/probe/:token',
      async handle(req) {
        seen.push(req);
        if (req.params.token !== 'good') throw new VerificationError('bad token');
        if (!req.headers['content-type']?.includes('json')) throw new UnsupportedMediaError('expected application/json');
        try {
          JSON.parse(req.rawBody.toString('utf8'));
        } catch {
          throw new BadRequestError('body is not JSON');
        }
        return { status: 200, body: { ok: true } };
      },
    },
  ],
  start: async () => {},
  stop: async () => {},
  send: async () => {},
};

beforeAll(async () => {
  const { config } = loadConfig({ file: 't.yaml', text: 'chat: { console: false }\n', env: {} });
  bot = await createOpsbot({ config, log: pino({ level: 'silent' }), store: new MemoryStore(), adapters: [probe] });
  const server = await bot.start({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await bot.stop();
});

const post = (p: string, body: string, type = 'application/json') => fetch(base + p, { method: 'POST', body, headers: { 'content-type': type } });

describe('HTTP server on port 0', () => {
  it('GET /healthz is 200 {"status":"ok"} once ready', async () => {
    const r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });
  it('GET /metrics is Prometheus text', async () => {
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/^# (HELP|TYPE) /m);
  });
  it('maps adapter errors to the contract statuses, with the reason as JSON', async () => {
    const bad = await post('/webhooks/probe/wrong', '{}');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'bad token' });
    expect((await post('/webhooks/probe/good', '{"x":')).status).toBe(400);
    expect((await post('/webhooks/probe/good', '{}', 'text/plain')).status).toBe(415);
    expect((await post('/webhooks/probe/good', '{"a":1}')).status).toBe(200);
  });
  it('hands the raw bytes through untouched', async () => {
    const body = '{"msg":"\\u4e2d\\u6587"}';
    await post('/webhooks/probe/good', body);
    expect(seen[seen.length - 1]!.rawBody.toString('utf8')).toBe(body);
  });
  it('answers 413 past 1 MiB without calling the route', async () => {
    const before = seen.length;
    const r = await post('/webhooks/probe/good', '{"x":"' + 'a'.repeat(1024 * 1024 + 10) + '"}');
    expect(r.status).toBe(413);
    expect(seen.length).toBe(before);
  });
  it('unconfigured sources are not mounted (404)', async () => {
    expect((await post('/webhooks/sentry', '{}')).status).toBe(404);
  });
});
