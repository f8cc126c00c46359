import { afterEach, describe, expect, it } from 'vitest';
import { decrypt, encrypt } from '@wecom/crypto';
import { createWecomAdapter } from '../../../src/adapters/wecom/index.ts';
import type { WecomAdapter } from '../../../src/adapters/wecom/index.ts';
import { wecomConfigSchema } from '../../../src/adapters/wecom/config.ts';
import { wecomSignature } from '../../../src/adapters/wecom/crypto.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import { actions, commandButton } from '../../../cards/model.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { fakeApi, fixtureJson, rawRequest, route, run, setA, silentLog, vectors, waitFor } from './helpers.ts';

const JSON_CT = { 'content-type': 'application/json' };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function setup(onMsg?: (m: IncomingMessage, adapter: WecomAdapter) => void) {
  const api = await fakeApi({ '/cgi-bin/aibot/response': () => ({ errcode: 0, errmsg: 'ok' }) });
  closers.push(api.close);
  const got: IncomingMessage[] = [];
  const config = wecomConfigSchema.parse({
    corpId: setA.corpId, agentId: 1, secret: 's', token: 'appToken', encodingAESKey: setA.encodingAESKey, apiBase: api.base,
    aibot: { mode: 'http', botId: 'AIBOTID', token: setA.token, encodingAESKey: setA.encodingAESKey },
  });
  const adapter: WecomAdapter = createWecomAdapter({
    config, log: silentLog, store: new MemoryStore(), aibotTiming: { clickWaitMs: 1500 },
    onMessage: async (m) => {
      got.push(m);
      onMsg?.(m, adapter);
    },
  });
  const routes = adapter.routes();
  return { api, got, adapter, get: route(routes, 'GET', '/webhooks/wecom/aibot'), post: route(routes, 'POST', '/webhooks/wecom/aibot') };
}

/** Encrypt a plaintext JSON body as WeCom would (receiveid ""). */
function envelope(plain: unknown, ts = '1700000009', nonce = 'nn') {
  const enc = encrypt(setA.encodingAESKey, JSON.stringify(plain), '');
  return { query: `msg_signature=${wecomSignature(setA.token, ts, nonce, enc)}&timestamp=${ts}&nonce=${nonce}`, body: JSON.stringify({ encrypt: enc }) };
}

describe('智能机器人 API mode: /webhooks/wecom/aibot', () => {
  it('URL verification (self-generated vector, receiveid "")', async () => {
    const s = await setup();
    const v = vectors.self_generated_aibot_url_verify;
    const ans = await run(s.get, rawRequest('GET', v.query));
    expect(ans.status).toBe(200);
    expect(ans.body).toBe(v.expected_response_body);
  });

  it('group text → IncomingMessage with the @name stripped; reply once via response_url', async () => {
    const s = await setup();
    const v = vectors.self_generated_aibot_text;
    const ans = await run(s.post, rawRequest('POST', `msg_signature=${v.msg_signature}&timestamp=${v.timestamp}&nonce=${v.nonce}`, v.request_body_json, JSON_CT));
    expect(ans).toMatchObject({ status: 200, body: '' });
    expect(s.got).toHaveLength(1);
    const m = s.got[0]!;
    expect(m).toMatchObject({ id: 'CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=', chat: 'wecom-group:CHATID', chatType: 'group', sender: { id: 'zhangsan' }, text: '/deploy demo v1.1.0 env-1' });
    await s.adapter.send({ to: m.chat, inReplyTo: m, reply: { kind: 'text', text: 'ok' } });
    const calls = s.api.calls.filter((c) => c.path === '/cgi-bin/aibot/response');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.query.get('response_code')).toBe('RESPONSE_CODE');
    expect(calls[0]!.body).toEqual({ msgtype: 'markdown', markdown: { content: 'ok' } });
    // response_url is single use; API mode has no other channel
    await expect(s.adapter.send({ to: m.chat, inReplyTo: m, reply: { kind: 'text', text: 'again' } })).rejects.toThrow();
    // a repeated callback is taken once
    await run(s.post, rawRequest('POST', `msg_signature=${v.msg_signature}&timestamp=${v.timestamp}&nonce=${v.nonce}`, v.request_body_json, JSON_CT));
    expect(s.got).toHaveLength(1);
  });

  it('official doc example text (fixture) parses; single chat keeps text', async () => {
    const s = await setup();
    const doc = fixtureJson('wecom-aibot-text-message.json');
    const e1 = envelope(doc);
    await run(s.post, rawRequest('POST', e1.query, e1.body, JSON_CT));
    expect(s.got[0]).toMatchObject({ text: 'hello robot', chat: 'wecom-group:CHATID' });
    const e2 = envelope({ msgid: 'single-1', aibotid: 'A', chattype: 'single', from: { userid: 'lisi' }, msgtype: 'text', text: { content: '/status demo' } });
    await run(s.post, rawRequest('POST', e2.query, e2.body, JSON_CT));
    expect(s.got[1]).toMatchObject({ text: '/status demo', chat: 'wecom:lisi', chatType: 'direct' });
  });

  it('card click → command; a card reply comes back as the encrypted passive update_template_card', async () => {
    const s = await setup((m, adapter) => {
      if (m.fromAction) setTimeout(() => void adapter.send({ to: m.chat, inReplyTo: m, reply: { kind: 'card', card: { title: 'Acknowledged by zhangsan', blocks: [actions([commandButton('Resolve', '/resolve A42')])] } } }), 50);
    });
    const click = {
      msgid: 'EVT1', create_time: 1700000300, aibotid: 'AIBOTID', from: { userid: 'zhangsan' }, chatid: 'CHATID', chattype: 'group', response_url: 'https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=R2', msgtype: 'event',
      event: { eventtype: 'template_card_event', template_card_event: { card_type: 'button_interaction', event_key: 'c:/ack A42', task_id: 'opsbot-A42-1' } },
    };
    const e = envelope(click, '1700000301', 'nonce7');
    const ans = await run(s.post, rawRequest('POST', e.query, e.body, JSON_CT));
    expect(s.got[0]).toMatchObject({ text: '/ack A42', fromAction: true, chat: 'wecom-group:CHATID' });
    expect(ans.status).toBe(200);
    const reply = ans.body as { encrypt: string; msgsignature: string; timestamp: number; nonce: string };
    expect(reply.nonce).toBe('nonce7');
    expect(reply.timestamp).toBe(1700000301);
    expect(wecomSignature(setA.token, '1700000301', 'nonce7', reply.encrypt)).toBe(reply.msgsignature);
    const opened = decrypt(setA.encodingAESKey, reply.encrypt);
    expect(opened.id).toBe('');
    const body = JSON.parse(opened.message);
    expect(body.response_type).toBe('update_template_card');
    expect(body.userids).toBeUndefined();
    expect(body.template_card).toMatchObject({ card_type: 'button_interaction', task_id: 'opsbot-A42-1', main_title: { title: 'Acknowledged by zhangsan' }, button_list: [{ text: 'Resolve', key: 'c:/resolve A42' }] });
  });

  it('a click whose answer is text: empty 200 at once, text through response_url', async () => {
    const s = await setup((m, adapter) => {
      if (m.fromAction) void adapter.send({ to: m.chat, inReplyTo: m, reply: { kind: 'text', text: 'denied' } });
    });
    const e = envelope({ msgid: 'EVT2', from: { userid: 'u' }, chatid: 'C', chattype: 'group', response_url: 'https://x.invalid/cgi-bin/aibot/response?response_code=R3', msgtype: 'event', event: { eventtype: 'template_card_event', template_card_event: { event_key: 'c:/ack 1', task_id: 't1' } } });
    const t0 = Date.now();
    const ans = await run(s.post, rawRequest('POST', e.query, e.body, JSON_CT));
    expect(ans.body).toBe('');
    expect(Date.now() - t0).toBeLessThan(1000);
    await waitFor(() => s.api.calls.some((c) => c.path === '/cgi-bin/aibot/response'));
    const call = s.api.calls.find((c) => c.path === '/cgi-bin/aibot/response')!;
    expect(call.query.get('response_code')).toBe('R3');
    expect(call.body).toEqual({ msgtype: 'markdown', markdown: { content: 'denied' } });
  });

  it('a foreign card key (doc example) is acknowledged and ignored', async () => {
    const s = await setup();
    const v = vectors.self_generated_aibot_template_card_event;
    const ans = await run(s.post, rawRequest('POST', `msg_signature=${v.msg_signature}&timestamp=${v.timestamp}&nonce=${v.nonce}`, v.request_body_json, JSON_CT));
    expect(ans.status).toBe(200);
    expect(s.got).toHaveLength(0);
  });

  it('verified but malformed plaintext (null, number, array, string, no msgtype) → 400 with the reason, nothing handed on', async () => {
    const s = await setup();
    const cases: Array<[unknown, RegExp]> = [
      [null, /not a JSON object \(got null\)/],
      [42, /not a JSON object \(got number\)/],
      [[{ msgtype: 'text' }], /not a JSON object \(got array\)/],
      ['text', /not a JSON object \(got string\)/],
      [true, /not a JSON object \(got boolean\)/],
      [{ msgid: 'm1', from: { userid: 'u' } }, /no msgtype/],
      [{ msgid: 'm2', from: { userid: 'u' }, msgtype: 7 }, /no msgtype/],
    ];
    for (const [plain, reason] of cases) {
      const e = envelope(plain);
      const ans = await run(s.post, rawRequest('POST', e.query, e.body, JSON_CT));
      expect(ans.status, JSON.stringify(plain)).toBe(400);
      expect((ans.body as { error: string }).error).toMatch(reason);
    }
    // decrypts fine but is not JSON at all: 400 as before
    const enc = encrypt(setA.encodingAESKey, 'plain words', '');
    const q = `msg_signature=${wecomSignature(setA.token, '5', '6', enc)}&timestamp=5&nonce=6`;
    expect((await run(s.post, rawRequest('POST', q, JSON.stringify({ encrypt: enc }), JSON_CT))).status).toBe(400);
    expect(s.got).toHaveLength(0);
    // the same route still takes a valid message and still acknowledges a valid non-text callback
    const ok = envelope({ msgid: 'after-1', chattype: 'single', from: { userid: 'lisi' }, msgtype: 'text', text: { content: '/help' } });
    expect(await run(s.post, rawRequest('POST', ok.query, ok.body, JSON_CT))).toMatchObject({ status: 200, body: '' });
    const stream = envelope({ msgid: 'after-2', from: { userid: 'lisi' }, msgtype: 'stream', stream: { id: 'S1' } });
    expect(await run(s.post, rawRequest('POST', stream.query, stream.body, JSON_CT))).toMatchObject({ status: 200, body: '' });
    expect(s.got.map((m) => m.id)).toEqual(['after-1']);
  });

  it('negative: app ciphertext (receiveid corpId), tampered, forged, non-JSON → 401; XML content type → 415', async () => {
    const s = await setup();
    const v = vectors.self_generated_aibot_text;
    const q = `msg_signature=${v.msg_signature}&timestamp=${v.timestamp}&nonce=${v.nonce}`;
    const appEnc = encrypt(setA.encodingAESKey, '{"msgid":"x","from":{"userid":"u"},"msgtype":"text","text":{"content":"hi"}}', setA.corpId);
    const appQ = `msg_signature=${wecomSignature(setA.token, '1', '2', appEnc)}&timestamp=1&nonce=2`;
    const cases: Array<[string, string]> = [
      [appQ, JSON.stringify({ encrypt: appEnc })],
      [q, v.request_body_json.replace('WuqB', 'WuqC')],
      [q.replace(v.msg_signature, 'f'.repeat(40)), v.request_body_json],
      [q, 'not json'],
      [q, '{"encrypt":42}'],
      [q, v.request_body_json.slice(0, 100)],
    ];
    for (const [query, body] of cases) expect((await run(s.post, rawRequest('POST', query, body, JSON_CT))).status).toBe(401);
    expect((await run(s.post, rawRequest('POST', q, v.request_body_json, { 'content-type': 'text/xml' }))).status).toBe(415);
    expect(s.got).toHaveLength(0);
  });
});
