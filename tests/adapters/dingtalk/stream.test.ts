/**
 * The real dingtalk-stream DWClient (through our GatewayClient + supervisor) against a local fake
 * gateway (packages.md §2.5), with frames from dingtalk-stream-frames.json.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TOPIC_CARD, TOPIC_ROBOT } from 'dingtalk-stream';
import { text, type IncomingMessage } from '../../../src/core/message.ts';
import { createDingtalkAdapter, type DingtalkAdapter } from '../../../src/adapters/dingtalk/index.ts';
import { encodeCommandId } from '../../../src/adapters/dingtalk/actions.ts';
import type { StreamTimings } from '../../../src/adapters/dingtalk/stream.ts';
import { startFakeGateway } from './fake-gateway.ts';
import { fixture, silentLog, startFakeDingtalk, testConfig } from './helpers.ts';

type Frame = { specVersion: string; type: string; headers: Record<string, string>; data: string };
const frames = fixture<Record<string, Frame & Record<string, unknown>>>('dingtalk-stream-frames.json');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const FAST: Partial<StreamTimings> = { backoffBaseMs: 50, backoffMaxMs: 400, idleTimeoutMs: 5_000, pingIntervalMs: 0, connectTimeoutMs: 2_000, stableAfterMs: 10_000 };

async function setup(opts: { onMessage?: (m: IncomingMessage, adapter: DingtalkAdapter) => Promise<void>; failUpgrade?: () => boolean; timings?: Partial<StreamTimings> } = {}) {
  const gw = await startFakeGateway(opts.failUpgrade ? { failUpgrade: opts.failUpgrade } : {});
  const api = await startFakeDingtalk();
  cleanups.push(() => gw.close(), () => api.close());
  const received: IncomingMessage[] = [];
  const adapter: DingtalkAdapter = createDingtalkAdapter({
    config: { ...testConfig(api.base, { mode: 'stream' }), gatewayUrl: gw.gatewayUrl },
    log: silentLog,
    streamTimings: { ...FAST, ...opts.timings },
    onMessage: async (m) => {
      received.push(m);
      await opts.onMessage?.(m, adapter);
    },
  });
  cleanups.push(() => adapter.stop());
  await adapter.start();
  return { gw, api, adapter, received };
}

function robotFrame(messageId: string, content: string, sessionWebhook?: string, msgId = `msg-${messageId}`): Frame {
  const data = { ...(JSON.parse(frames['robot_callback_frame']?.data ?? '{}') as Record<string, unknown>), msgId, text: { content } };
  if (sessionWebhook) Object.assign(data, { sessionWebhook, sessionWebhookExpiredTime: Date.now() + 3_600_000 });
  return { ...(frames['robot_callback_frame'] as Frame), headers: { ...frames['robot_callback_frame']?.headers, messageId }, data: JSON.stringify(data) };
}

const acksFor = (received: Array<Record<string, unknown>>, messageId: string) =>
  received.filter((f) => (f['headers'] as Record<string, string>)?.['messageId'] === messageId);

describe('dingtalk Stream mode', () => {
  it('connects with our subscriptions, delivers + acks a robot message, and the reply round-trips', async () => {
    const { gw, api, adapter, received } = await setup({
      onMessage: async (m, a) => a.send({ to: m.chat, inReplyTo: m, reply: text('pong') }),
    });
    await expect.poll(() => gw.live().length).toBe(1);
    expect(gw.state.opens[0]?.body).toMatchObject({
      clientId: 'dingAPPKEY',
      clientSecret: 'this is secret',
      subscriptions: [
        { type: 'EVENT', topic: '*' },
        { type: 'CALLBACK', topic: TOPIC_ROBOT },
        { type: 'CALLBACK', topic: TOPIC_CARD },
      ],
    });
    expect(gw.state.upgrades[0]?.url).toBe('/connect?ticket=T1');
    const ws = gw.live()[0]!;
    gw.push(ws, robotFrame('m1', ' /status demo', `${api.base}/robot/sendBySession?session=s1`));
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toMatchObject({ text: '/status demo', sender: { id: 'zhangsan' }, chat: 'dingtalk:cidAbCdEfGhIjKlMnOpQrSt==' });
    await expect.poll(() => acksFor(gw.state.received, 'm1').length).toBe(1);
    const ack = acksFor(gw.state.received, 'm1')[0]!;
    const expected = frames['robot_callback_ack_recommended'] as unknown as Record<string, unknown>;
    expect({ ...ack, data: JSON.parse(String(ack['data'])) }).toEqual({
      ...expected,
      headers: { ...(expected['headers'] as object), messageId: 'm1' },
      data: JSON.parse(String(expected['data'])),
    });
    await expect.poll(() => api.callsTo('/robot/sendBySession').length).toBe(1);
    expect(api.callsTo('/robot/sendBySession')[0]?.body).toMatchObject({ text: { content: 'pong' } });

    // a redelivered frame (same msgId) is acked again but handed to the bot once
    gw.push(ws, robotFrame('m1b', ' /status demo', undefined, 'msg-m1'));
    await expect.poll(() => acksFor(gw.state.received, 'm1b').length).toBe(1);
    expect(received).toHaveLength(1);

    // SYSTEM ping is echoed by the SDK
    gw.push(ws, frames['system_ping_frame']);
    await expect.poll(() => acksFor(gw.state.received, '213d841d_972_1898bb26334_70a8').length).toBe(1);
    expect(adapter.stats().streamConnected).toBe(true);
  });

  it('acks a card click and runs the button command as the clicker', async () => {
    const { gw, received } = await setup();
    await expect.poll(() => gw.live().length).toBe(1);
    const base = frames['card_callback_frame'] as Frame;
    const data = { ...(JSON.parse(base.data) as Record<string, unknown>), content: JSON.stringify({ cardPrivateData: { actionIds: [encodeCommandId('/alert ack A42')], params: {} } }) };
    gw.push(gw.live()[0]!, { ...base, data: JSON.stringify(data) });
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toMatchObject({ fromAction: true, text: '/alert ack A42', sender: { id: 'lisi' }, id: `card:${base.headers['messageId']}` });
    const ack = acksFor(gw.state.received, String(base.headers['messageId']))[0];
    expect(ack).toMatchObject({ code: 200, message: 'OK', data: '{"response":{}}' });
    // a double click (new frame, same card/button/user) is acked but runs once
    gw.push(gw.live()[0]!, { ...base, headers: { ...base.headers, messageId: 'click-2' }, data: JSON.stringify(data) });
    await expect.poll(() => acksFor(gw.state.received, 'click-2').length).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
  });

  it('a throwing handler or a malformed frame does not stop the next message', async () => {
    const { gw, adapter, received } = await setup({
      onMessage: async (m) => {
        if (m.text === 'boom') throw new Error('handler exploded');
      },
    });
    await expect.poll(() => gw.live().length).toBe(1);
    const ws = gw.live()[0]!;
    gw.push(ws, robotFrame('b1', 'boom'));
    ws.send('this is not json');
    gw.push(ws, robotFrame('b2', 'two'));
    await expect.poll(() => received.map((m) => m.text)).toEqual(['boom', 'two']);
    await expect.poll(() => acksFor(gw.state.received, 'b2').length).toBe(1);
    expect(acksFor(gw.state.received, 'b1')).toHaveLength(1);
    expect(adapter.stats().stream?.handlerErrors).toBe(1);
    expect(gw.state.opens).toHaveLength(1); // same socket throughout
  });

  it('gateway WS down for a while: attempts back off exponentially (capped), one live socket after recovery', async () => {
    let failing = true;
    const { gw, adapter } = await setup({ failUpgrade: () => failing, timings: { backoffBaseMs: 100, backoffMaxMs: 400 } });
    await new Promise((r) => setTimeout(r, 1_800));
    failing = false;
    await expect.poll(() => gw.live().length, { timeout: 3_000 }).toBe(1);
    const failed = gw.state.upgrades.filter((u) => !u.ok);
    // 0, +100, +200, +400, +400 … (±20 %): about 6 attempts in 1.8 s, not a storm
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(failed.length).toBeLessThanOrEqual(8);
    const gaps = gw.state.upgrades.slice(1).map((u, i) => u.at - gw.state.upgrades[i]!.at);
    const expectedGaps = gaps.map((_, i) => Math.min(400, 100 * 2 ** i));
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(expectedGaps[i]! * 0.8 - 15));
    // a fresh ticket for every WebSocket attempt
    expect(gw.state.opens.length).toBe(gw.state.upgrades.length);
    expect(new Set(gw.state.upgrades.map((u) => u.url)).size).toBe(gw.state.upgrades.length);
    await new Promise((r) => setTimeout(r, 600));
    expect(gw.live()).toHaveLength(1);
    expect(adapter.stats().stream?.connects).toBe(1);
  });

  it('reconnects once after the server drops the socket, and the idle watchdog kills a silent link', async () => {
    const { gw, adapter } = await setup({ timings: { idleTimeoutMs: 400 } });
    await expect.poll(() => gw.live().length).toBe(1);
    gw.live()[0]!.terminate();
    await expect.poll(() => gw.state.opens.length).toBe(2);
    await expect.poll(() => gw.live().length).toBe(1);
    // no frames at all now → watchdog terminates and reconnects
    await expect.poll(() => adapter.stats().stream?.idleTerminations ?? 0, { timeout: 3_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => gw.state.opens.length, { timeout: 3_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => gw.live().length).toBe(1);
  });

  it('our ws pings keep a quiet link alive; stop() closes it and never reconnects', async () => {
    const { gw, adapter } = await setup({ timings: { idleTimeoutMs: 300, pingIntervalMs: 100 } });
    await expect.poll(() => gw.live().length).toBe(1);
    await new Promise((r) => setTimeout(r, 800));
    expect(adapter.stats().stream?.idleTerminations).toBe(0);
    expect(gw.state.opens).toHaveLength(1);
    await adapter.stop();
    await expect.poll(() => gw.live().length).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.state.opens).toHaveLength(1);
    expect(adapter.stats().streamConnected).toBe(false);
  });
});
