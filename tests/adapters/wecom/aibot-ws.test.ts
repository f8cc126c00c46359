import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { createWecomAdapter } from '../../../src/adapters/wecom/index.ts';
import type { WecomAdapter } from '../../../src/adapters/wecom/index.ts';
import { wecomConfigSchema } from '../../../src/adapters/wecom/config.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import { actions, commandButton, fields } from '../../../cards/model.ts';
import type { Card } from '../../../cards/model.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { fixtureJson, setA, silentLog, waitFor } from './helpers.ts';

const frames = fixtureJson('wecom-aibot-long-connection-frames.json');

interface Fake {
  url: string;
  received: any[];
  sockets: WebSocket[];
  subscribeErrcode: number;
  send(frame: unknown): void;
  close(): Promise<void>;
}

/** A local long-connection server: acks every frame with errcode 0 (subscribe: `subscribeErrcode`). */
async function fakeServer(): Promise<Fake> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const fake: Fake = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    received: [],
    sockets: [],
    subscribeErrcode: 0,
    send: (f) => fake.sockets.at(-1)?.send(JSON.stringify(f)),
    close: () =>
      new Promise((r) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => r());
      }),
  };
  wss.on('connection', (ws) => {
    fake.sockets.push(ws);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      fake.received.push(f);
      const errcode = f.cmd === 'aibot_subscribe' ? fake.subscribeErrcode : 0;
      ws.send(JSON.stringify({ headers: { req_id: f.headers.req_id }, errcode, errmsg: errcode ? 'invalid secret' : 'ok' }));
    });
  });
  return fake;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function setup(onMsg?: (m: IncomingMessage, a: WecomAdapter) => void, clock?: () => number, timing: { takeoverPauseMs?: number } = {}) {
  const fake = await fakeServer();
  closers.push(fake.close);
  const got: IncomingMessage[] = [];
  const config = wecomConfigSchema.parse({
    corpId: setA.corpId, agentId: 1, secret: 's', token: 't', encodingAESKey: setA.encodingAESKey, apiBase: 'http://127.0.0.1:9',
    aibot: { mode: 'websocket', botId: 'BOT_ID', secret: 'BOT_SECRET', url: fake.url },
  });
  const adapter: WecomAdapter = createWecomAdapter({
    config, log: silentLog, store: new MemoryStore(), ...(clock ? { clock } : {}),
    aibotTiming: { pingIntervalMs: 100, backoffInitialMs: 40, backoffMaxMs: 200, requestTimeoutMs: 2000, ...timing },
    onMessage: async (m) => {
      got.push(m);
      onMsg?.(m, adapter);
    },
  });
  await adapter.start();
  closers.push(() => adapter.stop());
  expect(await adapter.connection!.ready(3000)).toBe(true);
  return { fake, got, adapter };
}

const alert: Card = {
  title: '[P1] payment-api error rate 12%',
  tone: 'danger',
  blocks: [fields([{ label: 'status', value: 'firing' }]), actions([commandButton('Acknowledge', '/ack A42', 'primary'), commandButton('Resolve', '/resolve A42')])],
};
const acked: Card = { title: '[P1] payment-api error rate 12%', blocks: [fields([{ label: 'status', value: 'acknowledged by zhangsan' }]), actions([commandButton('Resolve', '/resolve A42'), commandButton('Refresh', '/alert A42')])] };

describe('智能机器人 long connection', () => {
  it('subscribes with bot id + secret and pings', async () => {
    const { fake } = await setup();
    expect(fake.received[0]).toMatchObject({ cmd: 'aibot_subscribe', body: { bot_id: 'BOT_ID', secret: 'BOT_SECRET' } });
    expect(fake.received[0].headers.req_id).toMatch(/^aibot_subscribe_/);
    await waitFor(() => fake.received.some((f) => f.cmd === 'ping'));
  });

  it('a group /status demo is answered in that group with the frame req_id', async () => {
    const { fake, got } = await setup((m, a) => void a.send({ to: m.chat, inReplyTo: m, reply: { kind: 'text', text: 'demo: all green' } }).catch(() => undefined));
    const f = structuredClone(frames.msg_callback_group_text);
    f.body.text.content = '@opsbot /status demo';
    fake.send(f);
    await waitFor(() => fake.received.some((x) => x.cmd === 'aibot_respond_msg'));
    expect(got[0]).toMatchObject({ text: '/status demo', chat: 'wecom-group:CHATID', chatType: 'group', sender: { id: 'zhangsan' } });
    const reply = fake.received.find((x) => x.cmd === 'aibot_respond_msg');
    expect(reply.headers.req_id).toBe('REQ_ID_MSG_1');
    expect(reply.body).toMatchObject({ msgtype: 'stream', stream: { finish: true, content: 'demo: all green' } });
    // the same callback again is taken once
    fake.send(f);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(1);
  });

  it('pushes an alert card to a group chatid; Acknowledge click updates it within 5 s', async () => {
    const { fake, got, adapter } = await setup((m, a) => {
      if (m.fromAction) void a.send({ to: m.chat, inReplyTo: m, reply: { kind: 'card', card: acked }, cardKey: 'alert:A42' }).catch(() => undefined); // the test may stop the adapter before the ack
    });
    await adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'card', card: alert }, cardKey: 'alert:A42' });
    const push = fake.received.find((x) => x.cmd === 'aibot_send_msg');
    expect(push.body).toMatchObject({ chatid: 'CHATID', msgtype: 'template_card', template_card: { card_type: 'button_interaction', main_title: { title: alert.title } } });
    const tc = push.body.template_card;
    expect(tc.button_list.map((b: any) => b.text)).toEqual(['Acknowledge', 'Resolve']);
    expect(tc.source.desc_color).toBe(2);

    const click = structuredClone(frames.event_callback_template_card_click_group);
    click.body.event.template_card_event.event_key = tc.button_list[0].key;
    click.body.event.template_card_event.task_id = tc.task_id;
    fake.send(click);
    await waitFor(() => fake.received.some((x) => x.cmd === 'aibot_respond_update_msg'));
    expect(got[0]).toMatchObject({ text: '/ack A42', fromAction: true, chat: 'wecom-group:CHATID', sender: { id: 'zhangsan' } });
    const upd = fake.received.find((x) => x.cmd === 'aibot_respond_update_msg');
    expect(upd.headers.req_id).toBe('REQ_ID_EVT_1');
    expect(upd.body.response_type).toBe('update_template_card');
    expect(upd.body.userids).toBeUndefined();
    expect(upd.body.template_card.task_id).toBe(tc.task_id);
    expect(upd.body.template_card.horizontal_content_list[0].value).toBe('acknowledged by zhangsan');
  });

  it('a cardKey send soon after a click updates in place; after 5 s it is a new message', async () => {
    let now = 1_700_000_000_000;
    const { fake, adapter, got } = await setup(undefined, () => now);
    await adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'card', card: alert }, cardKey: 'alert:A42' });
    const tc = fake.received.find((x) => x.cmd === 'aibot_send_msg').body.template_card;
    const click = structuredClone(frames.event_callback_template_card_click_group);
    click.body.event.template_card_event.event_key = tc.button_list[0].key;
    click.body.event.template_card_event.task_id = tc.task_id;
    fake.send(click);
    await waitFor(() => got.length === 1);
    now += 1000;
    await adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'card', card: acked }, cardKey: 'alert:A42' });
    expect(fake.received.filter((x) => x.cmd === 'aibot_respond_update_msg')).toHaveLength(1);
    now += 10_000;
    await adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'card', card: acked }, cardKey: 'alert:A42' });
    expect(fake.received.filter((x) => x.cmd === 'aibot_send_msg')).toHaveLength(2);
    // text pushes go as markdown (msgtype text is rejected with 40008)
    await adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'text', text: 'rolled back' }, mentions: ['zhangsan'] });
    expect(fake.received.at(-1).body).toEqual({ chatid: 'CHATID', msgtype: 'markdown', markdown: { content: 'rolled back\n<@zhangsan>' } });
  });

  it('a pushed button card cannot @: the mention follows as markdown <@userid>', async () => {
    const { fake, adapter } = await setup();
    await adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'card', card: alert }, mentions: ['zhangsan', 'tel:13800000000'] });
    const sends = fake.received.filter((x) => x.cmd === 'aibot_send_msg');
    expect(sends.map((x) => x.body.msgtype)).toEqual(['template_card', 'markdown']);
    expect(sends[1].body.markdown.content).toBe(`${alert.title}\n<@zhangsan>`);
  });

  it('reconnects with backoff after a dropped connection and a refused subscribe', async () => {
    const { fake, adapter } = await setup();
    fake.subscribeErrcode = 40001;
    fake.sockets[0]!.terminate();
    const subCount = () => fake.received.filter((x) => x.cmd === 'aibot_subscribe').length;
    await waitFor(() => subCount() >= 2); // the refused one: acked with 40001 in the same tick
    await expect(adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'text', text: 'x' } })).rejects.toThrow(/not connected/);
    fake.subscribeErrcode = 0;
    await waitFor(() => adapter.connection!.subscribed, 5000);
    expect(subCount()).toBeGreaterThanOrEqual(3);
    expect(fake.sockets.length).toBeGreaterThanOrEqual(3);
    await adapter.send({ to: 'wecom-group:CHATID', reply: { kind: 'text', text: 'back' } });
    expect(fake.received.at(-1)).toMatchObject({ cmd: 'aibot_send_msg', body: { chatid: 'CHATID' } });
  });

  it('disconnected_event (another process took the bot over): logs, marks itself down, retries only after the long pause', async () => {
    const { fake, adapter, got } = await setup(undefined, undefined, { takeoverPauseMs: 800 });
    const subCount = () => fake.received.filter((x) => x.cmd === 'aibot_subscribe').length;
    fake.send({ cmd: 'disconnected_event', headers: { req_id: 'dis-1' }, body: {} });
    await waitFor(() => adapter.stats().aibot?.down !== undefined);
    expect(adapter.stats().aibot).toMatchObject({ subscribed: false, takeovers: 1, down: { reason: 'taken-over' } });
    // The normal backoff would be 40–200 ms: nothing for a while now.
    await new Promise((r) => setTimeout(r, 400));
    expect(subCount()).toBe(1);
    expect(fake.sockets).toHaveLength(1);
    await waitFor(() => adapter.connection!.subscribed, 3000);
    expect(subCount()).toBe(2);
    expect(adapter.stats().aibot?.down).toBeUndefined();
    // The event form (aibot_event_callback, event.eventtype) counts too, and is not a chat message.
    fake.send({ cmd: 'aibot_event_callback', headers: { req_id: 'dis-2' }, body: { msgtype: 'event', event: { eventtype: 'disconnected_event' } } });
    await waitFor(() => adapter.stats().aibot?.takeovers === 2);
    expect(got).toHaveLength(0);
  });
});
