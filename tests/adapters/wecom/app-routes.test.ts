import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encrypt } from '@wecom/crypto';
import { createWecomAdapter } from '../../../src/adapters/wecom/index.ts';
import { wecomConfigSchema } from '../../../src/adapters/wecom/config.ts';
import { wecomSignature } from '../../../src/adapters/wecom/crypto.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { fakeApi, fixture, rawRequest, route, run, setA, silentLog, vectors } from './helpers.ts';

const XML = { 'content-type': 'text/xml' };

function setup(cfg: Record<string, unknown> = {}, apiBase = 'http://127.0.0.1:9') {
  const got: IncomingMessage[] = [];
  const config = wecomConfigSchema.parse({
    corpId: setA.corpId, agentId: 1000002, secret: 's3cret', token: setA.token, encodingAESKey: setA.encodingAESKey, apiBase, ...cfg,
  });
  const adapter = createWecomAdapter({ config, log: silentLog, store: new MemoryStore(), onMessage: async (m) => void got.push(m) });
  const routes = adapter.routes();
  return { adapter, got, get: route(routes, 'GET', '/webhooks/wecom'), post: route(routes, 'POST', '/webhooks/wecom') };
}

describe('GET /webhooks/wecom (URL verification)', () => {
  it('answers the decrypted echostr raw (official set A, URL-encoded query)', async () => {
    const { get } = setup();
    const g = setA.verify_url_get;
    const ans = await run(get, rawRequest('GET', `msg_signature=${g.msg_signature}&timestamp=${g.timestamp}&nonce=${g.nonce}&echostr=${g.echostr_urlencoded}`));
    expect(ans).toEqual({ status: 200, body: '1616140317555161061', contentType: 'text/plain' });
  });
  it('401 on a forged signature or a wrong corp', async () => {
    const g = setA.verify_url_get;
    const q = `msg_signature=${vectors.negative_checks.wrong_token_signature}&timestamp=${g.timestamp}&nonce=${g.nonce}&echostr=${g.echostr_urlencoded}`;
    expect((await run(setup().get, rawRequest('GET', q))).status).toBe(401);
    const q2 = `msg_signature=${g.msg_signature}&timestamp=${g.timestamp}&nonce=${g.nonce}&echostr=${g.echostr_urlencoded}`;
    expect((await run(setup({ corpId: 'wwOther' }).get, rawRequest('GET', q2))).status).toBe(401);
    // echostr not URL-encoded: '+' turns into ' ' → the signature no longer matches
    const q3 = `msg_signature=${g.msg_signature}&timestamp=${g.timestamp}&nonce=${g.nonce}&echostr=${g.echostr}`;
    expect((await run(setup().get, rawRequest('GET', q3))).status).toBe(401);
  });
});

describe('POST /webhooks/wecom', () => {
  const p = setA.post_message;
  const q = `msg_signature=${p.msg_signature}&timestamp=${p.timestamp}&nonce=${p.nonce}`;

  it('official set A text → IncomingMessage, empty 200', async () => {
    const { post, got } = setup();
    const ans = await run(post, rawRequest('POST', q, fixture('wecom-encrypted-post.xml'), XML));
    expect(ans.status).toBe(200);
    expect(ans.body).toBe('');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ id: '4561255354251345929', platform: 'wecom', chat: 'wecom:mycreate', chatType: 'direct', sender: { id: 'mycreate' }, text: 'hello' });
  });

  it('a repeated delivery reaches the bot once', async () => {
    const { post, got } = setup();
    for (let i = 0; i < 4; i++) expect((await run(post, rawRequest('POST', q, fixture('wecom-encrypted-post.xml'), XML))).status).toBe(200);
    expect(got).toHaveLength(1);
  });

  it('self-generated text command', async () => {
    const v = vectors.self_generated_app_text_command;
    const { post, got } = setup();
    await run(post, rawRequest('POST', `msg_signature=${v.msg_signature}&timestamp=${v.timestamp}&nonce=${v.nonce}`, v.request_body_xml));
    expect(got[0]).toMatchObject({ id: '7000000000000000001', text: '/deploy demo v1.1.0 env-1', sender: { id: 'zhangsan' } });
  });

  it('a card event with a key we did not make is acknowledged and ignored', async () => {
    const v = vectors.self_generated_app_template_card_event; // EventKey "confirm"
    const { post, got } = setup();
    const ans = await run(post, rawRequest('POST', `msg_signature=${v.msg_signature}&timestamp=${v.timestamp}&nonce=${v.nonce}`, v.request_body_xml));
    expect(ans.status).toBe(200);
    expect(got).toHaveLength(0);
  });

  it('forged, tampered, wrong receiveid, garbage → 401 and no onMessage', async () => {
    const body = fixture('wecom-encrypted-post.xml');
    const cases: Array<[ReturnType<typeof setup>, string, string]> = [
      [setup(), `msg_signature=${vectors.negative_checks.wrong_token_signature}&timestamp=${p.timestamp}&nonce=${p.nonce}`, body],
      [setup(), q, body.replace('RypEvHKD', 'RypEvHKE')],
      [setup(), `timestamp=${p.timestamp}&nonce=${p.nonce}`, body],
      [setup({ corpId: 'wwOtherCorp' }), q, body],
      [setup({ token: 'otherToken' }), q, body],
      [setup(), q, '<xml><ToUserName>x</ToUserName></xml>'],
      [setup(), q, 'not xml at all'],
      [setup(), q, body.slice(0, 200)],
    ];
    for (const [s, query, b] of cases) {
      const ans = await run(s.post, rawRequest('POST', query, b, XML));
      expect(ans.status).toBe(401);
      expect(s.got).toHaveLength(0);
    }
    // correctly signed but undecryptable ciphertext
    const enc = 'Zm9vYmFy';
    const sig = wecomSignature(setA.token, p.timestamp, p.nonce, enc);
    const s = setup();
    const ans = await run(s.post, rawRequest('POST', `msg_signature=${sig}&timestamp=${p.timestamp}&nonce=${p.nonce}`, `<xml><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`));
    expect(ans.status).toBe(401);
    expect(s.got).toHaveLength(0);
  });

  it('verified but malformed plaintext → 400; JSON content type → 415', async () => {
    const enc = encrypt(setA.encodingAESKey, 'this is not xml', setA.corpId, Buffer.from('0123456789abcdef'));
    const sig = wecomSignature(setA.token, '1', '2', enc);
    const s = setup();
    const ans = await run(s.post, rawRequest('POST', `msg_signature=${sig}&timestamp=1&nonce=2`, `<xml><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`));
    expect(ans.status).toBe(400);
    const ans2 = await run(s.post, rawRequest('POST', q, fixture('wecom-encrypted-post.xml'), { 'content-type': 'application/json' }));
    expect(ans2.status).toBe(415);
    expect(s.got).toHaveLength(0);
  });
});

describe('done-when: another corp, /status demo answered through message/send', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  it('verifies the URL, takes an encrypted /status demo, replies to that user; tampered → 401, no reply', async () => {
    const api = await fakeApi({
      '/cgi-bin/gettoken': () => ({ errcode: 0, errmsg: 'ok', access_token: 'tok-1', expires_in: 7200 }),
      '/cgi-bin/message/send': () => ({ errcode: 0, errmsg: 'ok', msgid: 'm1' }),
    });
    closers.push(api.close);
    const corp = { corpId: 'ww0123456789abcdef', token: 'OtherCorpToken', encodingAESKey: randomBytes(32).toString('base64').slice(0, 43) };
    const s = setup(corp, api.base);
    // URL verification
    const echo = encrypt(corp.encodingAESKey, '424242', corp.corpId);
    const vq = new URLSearchParams({ msg_signature: wecomSignature(corp.token, '100', 'n1', echo), timestamp: '100', nonce: 'n1', echostr: echo }).toString();
    expect((await run(s.get, rawRequest('GET', vq))).body).toBe('424242');
    // message
    const plain = `<xml><ToUserName><![CDATA[${corp.corpId}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[/status demo]]></Content><MsgId>9000000000000000001</MsgId><AgentID>1000002</AgentID></xml>`;
    const enc = encrypt(corp.encodingAESKey, plain, corp.corpId);
    const sig = wecomSignature(corp.token, '200', 'n2', enc);
    const body = `<xml><ToUserName><![CDATA[${corp.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;
    const tampered = body.replace(enc, enc.slice(0, 10) + (enc[10] === 'A' ? 'B' : 'A') + enc.slice(11));
    expect((await run(s.post, rawRequest('POST', `msg_signature=${sig}&timestamp=200&nonce=n2`, tampered, XML))).status).toBe(401);
    expect(s.got).toHaveLength(0);
    expect((await run(s.post, rawRequest('POST', `msg_signature=${sig}&timestamp=200&nonce=n2`, body, XML))).status).toBe(200);
    expect(s.got.map((m) => m.text)).toEqual(['/status demo']);
    const msg = s.got[0]!;
    await s.adapter.send({ to: msg.chat, inReplyTo: msg, reply: { kind: 'text', text: 'demo: all green' } });
    const sent = api.calls.filter((c) => c.path === '/cgi-bin/message/send');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.query.get('access_token')).toBe('tok-1');
    expect(sent[0]!.body).toMatchObject({ touser: 'lisi', agentid: 1000002, msgtype: 'text', text: { content: 'demo: all green' } });
  });
});
