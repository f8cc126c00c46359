/**
 * Hardening item 5: a sessionWebhook comes from the message body (unsigned in HTTP mode, §3), so the
 * bot replies through it only on DingTalk's own host or the configured oapiBase origin; anything else
 * is ignored (warning logged) and the reply goes through the OpenAPI. Same rule in Stream mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { text, type IncomingMessage } from '../../../src/core/message.ts';
import type { RawRequest } from '../../../src/adapters/types.ts';
import { createDingtalkAdapter } from '../../../src/adapters/dingtalk/index.ts';
import { DingtalkClient } from '../../../src/adapters/dingtalk/client.ts';
import { parseRobotMessage } from '../../../src/adapters/dingtalk/parse.ts';
import { DingtalkSender } from '../../../src/adapters/dingtalk/send.ts';
import { isDingtalkSessionWebhook } from '../../../src/adapters/dingtalk/session-webhook.ts';
import type { StreamTimings } from '../../../src/adapters/dingtalk/stream.ts';
import { dingtalkSign } from '../../../src/adapters/dingtalk/verify.ts';
import { startFakeGateway } from './fake-gateway.ts';
import { fixture, silentLog, startFakeDingtalk, testConfig } from './helpers.ts';

const NOW = 1_700_000_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function fakes() {
  const dingtalk = await startFakeDingtalk();
  // Stands in for an internal service a forged body points the reply at (e.g. 127.0.0.1:18181).
  const victim = await startFakeDingtalk();
  cleanups.push(() => dingtalk.close(), () => victim.close());
  return { dingtalk, victim };
}

/** A logger whose warnings the test can read. */
function capturingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

describe('isDingtalkSessionWebhook', () => {
  const official = { oapiBase: 'https://oapi.dingtalk.com' };
  it.each([
    ['https://oapi.dingtalk.com/robot/sendBySession?session=abc', true],
    ['https://api.dingtalk.com/robot/sendBySession?session=abc', true],
    ['http://oapi.dingtalk.com/robot/sendBySession?session=abc', false],
    ['https://oapi.dingtalk.com:8443/robot/sendBySession', false],
    ['http://127.0.0.1:18181/robot/sendBySession?session=abc', false],
    ['https://oapi.dingtalk.com.evil.example/robot/sendBySession', false],
    ['https://evil.example/?u=https://oapi.dingtalk.com/', false],
    ['https://oapi.dingtalk.com@evil.example/robot/sendBySession', false],
    ['https://user:pw@oapi.dingtalk.com/robot/sendBySession', false],
    ['not a url', false],
  ])('%s → %s', (url, ok) => {
    expect(isDingtalkSessionWebhook(url, official)).toBe(ok);
  });

  it('accepts the configured oapiBase origin (private deployment, local fake) and nothing else local', () => {
    const cfg = { oapiBase: 'http://127.0.0.1:4000' };
    expect(isDingtalkSessionWebhook('http://127.0.0.1:4000/robot/sendBySession?session=s', cfg)).toBe(true);
    expect(isDingtalkSessionWebhook('http://127.0.0.1:4001/robot/sendBySession?session=s', cfg)).toBe(false);
    expect(isDingtalkSessionWebhook('https://127.0.0.1:4000/robot/sendBySession?session=s', cfg)).toBe(false);
  });
});

describe('DingtalkSender with a foreign sessionWebhook', () => {
  it('replies through the OpenAPI, never POSTs to the foreign URL, and logs a warning without the session token', async () => {
    const { dingtalk, victim } = await fakes();
    const { log, lines } = capturingLog();
    const config = testConfig(dingtalk.base, { mode: 'stream' });
    const client = new DingtalkClient({ config, log, clock: () => NOW, retryBaseMs: 1 });
    const sender = new DingtalkSender({ config, client, log, clock: () => NOW });
    const msg = parseRobotMessage({ ...fixture<Record<string, unknown>>('dingtalk-robot-message-chatops.json'), sessionWebhook: `${victim.base}/robot/sendBySession?session=secret-token` });
    await sender.send({ to: msg.chat, inReplyTo: msg, reply: text('收到'), mentions: ['zhangsan'] });
    expect(victim.calls).toHaveLength(0);
    // With a mention to deliver, the OpenAPI path is an interactive card (atUserIds), not groupMessages/send (no at).
    expect(dingtalk.callsTo('/v1.0/card/instances/createAndDeliver')).toHaveLength(1);
    await sender.send({ to: msg.chat, inReplyTo: msg, reply: text('收到') });
    expect(dingtalk.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(1);
    const warn = lines.find((l) => String(l['msg']).includes('not on a DingTalk host'));
    expect(warn).toBeDefined();
    expect(JSON.stringify(warn)).not.toContain('secret-token');
  });
});

describe('HTTP mode: a verified body naming a foreign sessionWebhook', () => {
  it('is answered through the OpenAPI, not the URL in the body', async () => {
    const { dingtalk, victim } = await fakes();
    const received: IncomingMessage[] = [];
    const adapter = createDingtalkAdapter({
      config: testConfig(dingtalk.base, { mode: 'http' }),
      log: silentLog,
      clock: () => NOW,
      onMessage: async (m) => {
        received.push(m);
        await adapter.send({ to: m.chat, inReplyTo: m, reply: text('pong') });
      },
    });
    const body = { ...fixture('dingtalk-robot-message-chatops.json'), sessionWebhook: `${victim.base}/robot/sendBySession?session=x`, sessionWebhookExpiredTime: NOW + 3_600_000 };
    const ts = String(NOW);
    const req: RawRequest = {
      method: 'POST',
      headers: { 'content-type': 'application/json', timestamp: ts, sign: dingtalkSign(ts, 'this is secret') },
      query: new URLSearchParams(),
      params: {},
      rawBody: Buffer.from(JSON.stringify(body)),
      receivedAt: NOW,
    };
    expect(await adapter.routes()[0]!.handle(req)).toEqual({ status: 200, body: {} });
    expect(received).toHaveLength(1);
    expect(victim.calls).toHaveLength(0);
    expect(dingtalk.callsTo('/v1.0/robot/groupMessages/send')[0]?.body).toMatchObject({ msgKey: 'sampleText', msgParam: JSON.stringify({ content: 'pong' }) });
  });
});

describe('Stream mode: a frame naming a foreign sessionWebhook', () => {
  it('is answered through the OpenAPI, not the URL in the frame', async () => {
    const { dingtalk, victim } = await fakes();
    const gw = await startFakeGateway();
    cleanups.push(() => gw.close());
    const timings: Partial<StreamTimings> = { backoffBaseMs: 50, backoffMaxMs: 400, idleTimeoutMs: 5_000, pingIntervalMs: 0, connectTimeoutMs: 2_000, stableAfterMs: 10_000 };
    const adapter = createDingtalkAdapter({
      config: { ...testConfig(dingtalk.base, { mode: 'stream' }), gatewayUrl: gw.gatewayUrl },
      log: silentLog,
      streamTimings: timings,
      onMessage: async (m) => adapter.send({ to: m.chat, inReplyTo: m, reply: text('pong') }),
    });
    cleanups.push(() => adapter.stop());
    await adapter.start();
    await expect.poll(() => gw.live().length).toBe(1);
    const base = fixture<Record<string, { data: string; headers: Record<string, string> }>>('dingtalk-stream-frames.json')['robot_callback_frame']!;
    const data = { ...(JSON.parse(base.data) as Record<string, unknown>), msgId: 'msg-foreign', sessionWebhook: `${victim.base}/robot/sendBySession?session=x`, sessionWebhookExpiredTime: Date.now() + 3_600_000 };
    gw.push(gw.live()[0]!, { ...base, headers: { ...base.headers, messageId: 'foreign-1' }, data: JSON.stringify(data) });
    await expect.poll(() => dingtalk.callsTo('/v1.0/robot/groupMessages/send').length).toBe(1);
    expect(victim.calls).toHaveLength(0);
  });
});
