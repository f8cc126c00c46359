/** The WeCom routes mounted in the real Koa server: raw echostr body, empty 200, 401 JSON. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/server/server.ts';
import { createMetrics } from '../../../src/server/metrics.ts';
import { createWecomAdapter } from '../../../src/adapters/wecom/index.ts';
import { wecomConfigSchema } from '../../../src/adapters/wecom/config.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import { fixture, setA, silentLog, vectors } from './helpers.ts';

let server: Server;
let base = '';
const got: IncomingMessage[] = [];

beforeAll(async () => {
  const config = wecomConfigSchema.parse({
    corpId: setA.corpId, agentId: 218, secret: 's', token: setA.token, encodingAESKey: setA.encodingAESKey, apiBase: 'http://127.0.0.1:9',
    aibot: { mode: 'http', botId: 'B', token: setA.token, encodingAESKey: setA.encodingAESKey },
  });
  const adapter = createWecomAdapter({ config, log: silentLog, onMessage: async (m) => void got.push(m) });
  const app = createApp({ log: silentLog, metrics: createMetrics(), routes: adapter.routes(), bodyLimitBytes: 1 << 20, state: () => 'ready' });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('WeCom routes behind the HTTP server', () => {
  it('GET verification answers the plaintext exactly', async () => {
    const g = setA.verify_url_get;
    const res = await fetch(`${base}/webhooks/wecom?msg_signature=${g.msg_signature}&timestamp=${g.timestamp}&nonce=${g.nonce}&echostr=${g.echostr_urlencoded}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1616140317555161061');
    const v = vectors.self_generated_aibot_url_verify;
    const res2 = await fetch(`${base}/webhooks/wecom/aibot?${v.query}`);
    expect(await res2.text()).toBe(v.expected_response_body);
  });

  it('POST: empty 200 for a good one, 401 JSON for a forged one', async () => {
    const p = setA.post_message;
    const ok = await fetch(`${base}/webhooks/wecom?msg_signature=${p.msg_signature}&timestamp=${p.timestamp}&nonce=${p.nonce}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: fixture('wecom-encrypted-post.xml') });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
    expect(got.map((m) => m.text)).toEqual(['hello']);
    const bad = await fetch(`${base}/webhooks/wecom?msg_signature=${'0'.repeat(40)}&timestamp=${p.timestamp}&nonce=${p.nonce}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: fixture('wecom-encrypted-post.xml') });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'wecom: msg_signature mismatch' });
    expect(got).toHaveLength(1);
  });
});
