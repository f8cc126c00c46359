/**
 * Issue 8 "Done when", over real HTTP: a new pipeline-failed delivery for a mapped project with the
 * right token gets 2xx at once and one card naming the ref and failed job; the same delivery again
 * produces nothing new; a wrong token gets 401 and nothing; oversized bodies are 413 (server limit).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type http from 'node:http';
import { request } from 'undici';
import { createApp, listen } from '../../../src/server/server.ts';
import { createMetrics } from '../../../src/server/metrics.ts';
import { cardToText } from '../../../cards/model.ts';
import { fixtureBytes, fixtureHeaders } from './helpers.ts';
import { CHAT, harness, type Harness } from './harness.ts';

let h: Harness;
let server: http.Server;
let base: string;
beforeAll(async () => {
  h = harness();
  const app = createApp({ log: h.services.log, metrics: createMetrics(), routes: [h.route], bodyLimitBytes: 1024 * 1024, state: () => 'ready' });
  server = await listen(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

async function post(name: string, overrides: Record<string, string> = {}, body?: Buffer) {
  const res = await request(`${base}/webhooks/gitlab`, {
    method: 'POST',
    headers: { ...fixtureHeaders(`${name}.headers.json`), ...overrides },
    body: body ?? fixtureBytes(`${name}.json`),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

describe('POST /webhooks/gitlab over HTTP', () => {
  it('wrong token → 401 with a reason, nothing stored or sent', async () => {
    expect(await post('pipeline-failed', { 'x-gitlab-token': 'nope' })).toEqual({ status: 401, body: { error: 'invalid X-Gitlab-Token' } });
    expect(await h.deliveries.collection.count()).toBe(0);
    expect(h.sent).toHaveLength(0);
  });

  it('a new failed pipeline → 200 at once, then one card naming the ref and the failed job', async () => {
    const t0 = Date.now();
    const r = await post('pipeline-failed');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(r).toEqual({ status: 200, body: { ok: true, duplicate: false } });
    await h.deliveries.idle();
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.to).toBe(CHAT);
    const reply = h.sent[0]!.reply;
    const txt = reply.kind === 'card' ? cardToText(reply.card) : reply.text;
    expect(txt).toContain('master');
    expect(txt).toContain('test-build');
  });

  it('the same delivery again → 200 duplicate, nothing new', async () => {
    expect(await post('pipeline-failed', { 'x-gitlab-webhook-uuid': 'resend' })).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    await h.deliveries.idle();
    expect(h.sent).toHaveLength(1);
  });

  it('415 / 400 / 413 as the contract says', async () => {
    expect((await post('push', { 'content-type': 'text/plain', 'idempotency-key': 'x1' })).status).toBe(415);
    const truncated = fixtureBytes('push.json').subarray(0, 100);
    const bad = await post('push', { 'idempotency-key': 'x2' }, truncated);
    expect(bad.status).toBe(400);
    expect(String(bad.body.error)).toMatch(/^malformed JSON/);
    const big = Buffer.alloc(1024 * 1024 + 10, 0x20);
    expect((await post('push', { 'idempotency-key': 'x3' }, big)).status).toBe(413);
  });
});
