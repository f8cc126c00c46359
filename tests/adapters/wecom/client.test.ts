import { afterEach, describe, expect, it } from 'vitest';
import { encrypt } from '@wecom/crypto';
import { WecomClient } from '../../../src/adapters/wecom/client.ts';
import { createWecomAdapter } from '../../../src/adapters/wecom/index.ts';
import { wecomConfigSchema } from '../../../src/adapters/wecom/config.ts';
import { wecomSignature } from '../../../src/adapters/wecom/crypto.ts';
import { UpstreamError } from '../../../src/core/errors.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import { actions, commandButton, fields, linkButton, markdown } from '../../../cards/model.ts';
import type { Card } from '../../../cards/model.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { fakeApi, rawRequest, route, run, setA, silentLog } from './helpers.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function api(extra: Record<string, (r: any) => unknown> = {}) {
  let n = 0;
  const a = await fakeApi({
    '/cgi-bin/gettoken': () => ({ errcode: 0, errmsg: 'ok', access_token: `tok-${++n}`, expires_in: 7200 }),
    ...extra,
  });
  closers.push(a.close);
  return a;
}
const tokens = (calls: { path: string }[]) => calls.filter((c) => c.path === '/cgi-bin/gettoken').length;

describe('WecomClient', () => {
  it('caches the token per expires_in, single-flight, refreshes early', async () => {
    const a = await api();
    let now = 1_000_000;
    const c = new WecomClient({ apiBase: a.base, corpId: 'ww1', secret: 'sec', agentId: 7, log: silentLog, clock: () => now });
    await Promise.all([c.accessToken(), c.accessToken(), c.accessToken()]);
    expect(tokens(a.calls)).toBe(1);
    expect(a.calls[0]!.query.get('corpid')).toBe('ww1');
    expect(a.calls[0]!.query.get('corpsecret')).toBe('sec');
    now += 7200_000 - 6 * 60_000; // inside the token's life, but within the 5-minute early window? no: 6 min left
    expect(await c.accessToken()).toBe('tok-1');
    now += 2 * 60_000; // 4 min left → refresh early
    expect(await c.accessToken()).toBe('tok-2');
    expect(tokens(a.calls)).toBe(2);
  });

  it('on 42001 refreshes and retries once; other errcodes → UpstreamError', async () => {
    let sends = 0;
    const a = await api({
      '/cgi-bin/message/send': (r) => (++sends === 1 ? { errcode: 42001, errmsg: 'access_token expired' } : { errcode: 0, errmsg: 'ok', msgid: 'm', used: r.query.get('access_token') }),
      '/cgi-bin/message/update_template_card': () => ({ errcode: 40014, errmsg: 'invalid access_token' }),
    });
    const c = new WecomClient({ apiBase: a.base, corpId: 'ww1', secret: 'sec', agentId: 7, log: silentLog });
    await c.sendToUser('zhangsan', { msgtype: 'text', text: { content: 'hi' } });
    const sendCalls = a.calls.filter((x) => x.path === '/cgi-bin/message/send');
    expect(sendCalls.map((x) => x.query.get('access_token'))).toEqual(['tok-1', 'tok-2']);
    // 40014 twice in a row: one retry, then an UpstreamError
    await expect(c.updateTemplateCard(['zhangsan'], 'RC', { button: { replace_name: 'ok' } })).rejects.toBeInstanceOf(UpstreamError);
    expect(a.calls.filter((x) => x.path === '/cgi-bin/message/update_template_card')).toHaveLength(2);
  });

  it('gettoken failure → UpstreamError', async () => {
    const a = await fakeApi({ '/cgi-bin/gettoken': () => ({ errcode: 40001, errmsg: 'invalid credential' }) });
    closers.push(a.close);
    const c = new WecomClient({ apiBase: a.base, corpId: 'ww1', secret: 'bad', agentId: 7, log: silentLog });
    await expect(c.accessToken()).rejects.toBeInstanceOf(UpstreamError);
  });
});

const card: Card = {
  title: 'Deploy demo v1.1.0 → env-1',
  tone: 'warning',
  blocks: [
    markdown('Please **confirm**'),
    fields([{ label: 'env', value: 'env-1' }, { label: 'release', value: 'v1.1.0' }]),
    actions([commandButton('Confirm', '/deploy demo v1.1.0 env-1 --yes', 'primary'), commandButton('Cancel', '/cancel 42'), linkButton('Logs', 'https://ci.example.invalid/1')]),
  ],
};

describe('adapter: app cards, click round trip, group robot', () => {
  it('template_card payload, click → command, update in place with the ResponseCode', async () => {
    let sent = 0;
    const a = await api({
      '/cgi-bin/message/send': () => ({ errcode: 0, errmsg: 'ok', msgid: `m${++sent}`, response_code: `RC-send-${sent}` }),
    });
    const got: IncomingMessage[] = [];
    const config = wecomConfigSchema.parse({ corpId: setA.corpId, agentId: 1000002, secret: 's', token: setA.token, encodingAESKey: setA.encodingAESKey, apiBase: a.base });
    const adapter = createWecomAdapter({ config, log: silentLog, store: new MemoryStore(), onMessage: async (m) => void got.push(m) });
    await adapter.send({ to: 'wecom:zhangsan', reply: { kind: 'card', card }, cardKey: 'task:42' });
    const send = a.calls.find((c) => c.path === '/cgi-bin/message/send')!;
    expect(send.body).toMatchObject({ touser: 'zhangsan', agentid: 1000002, msgtype: 'template_card' });
    const tc = send.body.template_card;
    expect(tc.card_type).toBe('button_interaction');
    expect(tc.task_id).toMatch(/^[0-9A-Za-z_\-@]{1,128}$/);
    expect(tc.main_title.title).toBe('Deploy demo v1.1.0 → env-1');
    expect(tc.horizontal_content_list).toEqual([{ keyname: 'env', value: 'env-1' }, { keyname: 'release', value: 'v1.1.0' }]);
    expect(tc.card_action).toEqual({ type: 1, url: 'https://ci.example.invalid/1' });
    expect(tc.button_list).toHaveLength(2);
    expect(tc.button_list[0]).toMatchObject({ text: 'Confirm', style: 1 });
    for (const b of tc.button_list) expect(Buffer.byteLength(b.key)).toBeLessThanOrEqual(1024);

    // the user clicks Confirm
    const plain = `<xml><ToUserName><![CDATA[${setA.corpId}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1700000100</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[${tc.button_list[0].key}]]></EventKey><TaskId><![CDATA[${tc.task_id}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[RC-click]]></ResponseCode><AgentID>1000002</AgentID></xml>`;
    const enc = encrypt(setA.encodingAESKey, plain, setA.corpId);
    const post = route(adapter.routes(), 'POST', '/webhooks/wecom');
    const ans = await run(post, rawRequest('POST', `msg_signature=${wecomSignature(setA.token, '5', '6', enc)}&timestamp=5&nonce=6`, `<xml><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`));
    expect(ans.status).toBe(200);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ text: '/deploy demo v1.1.0 env-1 --yes', fromAction: true, chat: 'wecom:zhangsan', sender: { id: 'zhangsan' }, id: `zhangsan:1700000100:${tc.button_list[0].key}`, replyContext: { responseCode: 'RC-click', taskId: tc.task_id } });

    // the command answers with the updated card → update_template_card with the click's code, same task_id
    const done: Card = { title: 'Deploying', blocks: [actions([commandButton('Refresh', '/task 42')])] };
    await adapter.send({ to: 'wecom:zhangsan', inReplyTo: got[0]!, reply: { kind: 'card', card: done }, cardKey: 'task:42' });
    const upd = a.calls.filter((c) => c.path === '/cgi-bin/message/update_template_card');
    expect(upd).toHaveLength(1);
    expect(upd[0]!.body).toMatchObject({ userids: ['zhangsan'], agentid: 1000002, response_code: 'RC-click', template_card: { task_id: tc.task_id, main_title: { title: 'Deploying' } } });
    // the code is spent: the next state change goes out as a new card
    await adapter.send({ to: 'wecom:zhangsan', reply: { kind: 'card', card: done }, cardKey: 'task:42' });
    expect(a.calls.filter((c) => c.path === '/cgi-bin/message/update_template_card')).toHaveLength(1);
    expect(a.calls.filter((c) => c.path === '/cgi-bin/message/send')).toHaveLength(2);
  });

  it('a card without command buttons goes as markdown; long commands get short stored keys', async () => {
    const a = await api({ '/cgi-bin/message/send': () => ({ errcode: 0, errmsg: 'ok' }) });
    const config = wecomConfigSchema.parse({ corpId: 'ww1', agentId: 5, secret: 's', token: 't', encodingAESKey: setA.encodingAESKey, apiBase: a.base });
    const adapter = createWecomAdapter({ config, log: silentLog, onMessage: async () => {} });
    await adapter.send({ to: 'wecom:u1', reply: { kind: 'card', card: { title: 'Status', blocks: [markdown('all green')] } } });
    const long = '/deploy ' + 'x'.repeat(3000);
    await adapter.send({ to: 'wecom:u1', reply: { kind: 'card', card: { title: 'Long', blocks: [actions([commandButton('Go', long), commandButton('Go again', long)])] } } });
    const [md, tc] = a.calls.filter((c) => c.path === '/cgi-bin/message/send');
    expect(md!.body).toMatchObject({ msgtype: 'markdown', markdown: { content: expect.stringContaining('all green') } });
    const keys = tc!.body.template_card.button_list.map((b: any) => b.key);
    expect(new Set(keys).size).toBe(2);
    for (const k of keys) expect(k.length).toBeLessThan(40);
  });

  it('wecom-webhook:<key> pushes text with mentioned_list and cards as markdown', async () => {
    const a = await api();
    const config = wecomConfigSchema.parse({ corpId: 'ww1', agentId: 5, secret: 's', token: 't', encodingAESKey: setA.encodingAESKey, apiBase: a.base });
    const adapter = createWecomAdapter({ config, log: silentLog, onMessage: async () => {} });
    await adapter.send({ to: 'wecom-webhook:KEY1', reply: { kind: 'text', text: 'deployed' }, mentions: ['zhangsan'] });
    await adapter.send({ to: 'wecom-webhook:KEY1', reply: { kind: 'card', card }, mentions: ['lisi'] });
    const hooks = a.calls.filter((c) => c.path === '/cgi-bin/webhook/send');
    expect(hooks.map((h) => h.query.get('key'))).toEqual(['KEY1', 'KEY1']);
    expect(hooks[0]!.body).toEqual({ msgtype: 'text', text: { content: 'deployed', mentioned_list: ['zhangsan'] } });
    expect(hooks[1]!.body.msgtype).toBe('markdown');
    expect(hooks[1]!.body.markdown.content).toContain('<@lisi>');
    expect(tokens(a.calls)).toBe(0);
  });

  it('wecom-webhook:<key>: people known by mobile go in mentioned_mobile_list (text; after a markdown card, a text follows)', async () => {
    const a = await api();
    const config = wecomConfigSchema.parse({ corpId: 'ww1', agentId: 5, secret: 's', token: 't', encodingAESKey: setA.encodingAESKey, apiBase: a.base });
    const adapter = createWecomAdapter({ config, log: silentLog, onMessage: async () => {} });
    await adapter.send({ to: 'wecom-webhook:KEY1', reply: { kind: 'text', text: 'deployed' }, mentions: ['zhangsan', 'tel:13800000000'] });
    await adapter.send({ to: 'wecom-webhook:KEY1', reply: { kind: 'card', card }, mentions: ['lisi', 'tel:13900000000'] });
    const hooks = a.calls.filter((c) => c.path === '/cgi-bin/webhook/send');
    expect(hooks[0]!.body).toEqual({ msgtype: 'text', text: { content: 'deployed', mentioned_list: ['zhangsan'], mentioned_mobile_list: ['13800000000'] } });
    expect(hooks[1]!.body.markdown.content).toContain('<@lisi>');
    expect(hooks[1]!.body.markdown.content).not.toContain('tel:');
    expect(hooks[2]!.body).toEqual({ msgtype: 'text', text: { content: card.title, mentioned_mobile_list: ['13900000000'] } });
  });
});
