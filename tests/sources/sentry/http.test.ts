/** The whole path once, over real HTTP: signed webhook → 2xx → card in the team chat → button → Sentry API. */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureAdapter } from '../../../src/adapters/capture.ts';
import { createOpsbot, type Opsbot } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { replyToText } from '../../../src/core/bot.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { FakeSentry } from './fake-sentry.ts';
import { vectors } from './helpers.ts';

let fake: FakeSentry;
let opsbot: Opsbot;
let adapter: CaptureAdapter;
let base: string;

beforeAll(async () => {
  fake = await new FakeSentry().start();
  const yaml = `
locale: en
chat: { console: false }
sentry:
  url: ${fake.url}
  org: acme
  authToken: test-token
  clientSecret: ${vectors.client_secret}
  legacyToken: legacy-token-0123456789abcdef
  users: { alice: "user:11" }
people:
  alice: { name: Alice, roles: [oncall] }
  bob: { name: Bob, roles: [] }
teams:
  payments: { members: [alice, bob], chats: ["test:team"] }
products:
  demo:
    team: payments
    owners: [alice]
    sentryProjects: [front-end]
    components: [component-a]
    environments:
      prod: { engine: { type: command, run: ["./x.sh"] } }
`;
  const { config } = loadConfig({ file: 'test.yaml', text: yaml, env: {} });
  adapter = new CaptureAdapter();
  opsbot = await createOpsbot({ config, log: pino({ level: 'silent' }), store: new MemoryStore(), adapters: [adapter] });
  const server = await opsbot.start({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await opsbot.stop();
  await fake.stop();
});

const item = vectors.fixture_wire_bodies.items.find((x) => x.resource === 'event_alert')!;
const post = async (path: string, body: string, headers: Record<string, string>) => {
  const res = await request(base + path, { method: 'POST', body, headers });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
};

describe('Sentry over HTTP', () => {
  it('signed event_alert → 200 → one card in the team chat @mentioning the owner; the repeat → nothing; forged → 401', async () => {
    const r = await post('/webhooks/sentry', item.body, item.headers);
    expect(r).toEqual({ status: 200, body: { ok: true, duplicate: false } });
    await adapter.waitFor(1);
    await opsbot.deliveries.idle();
    expect(adapter.sent).toHaveLength(1);
    expect(adapter.sent[0]!.to).toBe('test:team');
    expect(adapter.sent[0]!.mentions).toEqual(['alice']);
    expect(replyToText(adapter.sent[0]!.reply)).toContain('ReferenceError: heck is not defined');

    expect((await post('/webhooks/sentry', item.body, { ...item.headers, 'Request-ID': '0'.repeat(32) })).body).toEqual({ ok: true, duplicate: true });
    const forged = await post('/webhooks/sentry', item.body.replace('heck', 'hack'), item.headers);
    expect(forged).toEqual({ status: 401, body: { error: 'bad signature' } });
    await opsbot.deliveries.idle();
    expect(adapter.sent).toHaveLength(1);
  });

  it('legacy endpoint: wrong token 401', async () => {
    const r = await post('/webhooks/sentry/legacy/wrong-token-xxxxxxxxxxxx', '{"id":"1"}', { 'content-type': 'application/json' });
    expect(r.status).toBe(401);
  });

  it('the Resolve button as Alice calls Sentry and updates the card; Bob is denied', async () => {
    const before = adapter.sent.length;
    await opsbot.bot.handleMessage(CaptureAdapter.message('/sentry resolve 1117540176', { from: 'bob', chat: 'team', id: 'b1' }));
    await opsbot.bot.idle();
    expect(fake.requests).toHaveLength(0);
    await opsbot.bot.handleMessage(CaptureAdapter.message('/sentry resolve 1117540176', { from: 'alice', chat: 'team', id: 'a1' }));
    await opsbot.bot.idle();
    expect(fake.requests[0]).toMatchObject({ method: 'PUT', url: '/api/0/organizations/acme/issues/1117540176/', auth: 'Bearer test-token', body: { status: 'resolved' } });
    const after = adapter.sent.slice(before).map((m) => ({ key: m.cardKey, text: replyToText(m.reply) }));
    expect(after.some((m) => m.key === 'sentry:issue:1117540176' && m.text.includes('Resolved by Alice'))).toBe(true);
    expect(after.some((m) => m.text.includes('Alice resolved 1117540176 in Sentry'))).toBe(true);
  });
});
