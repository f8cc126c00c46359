import { afterEach, describe, expect, it } from 'vitest';
import { VerificationError, BadRequestError, UnsupportedMediaError } from '../../../src/core/errors.ts';
import { text, type IncomingMessage } from '../../../src/core/message.ts';
import type { RawRequest } from '../../../src/adapters/types.ts';
import { createDingtalkAdapter } from '../../../src/adapters/dingtalk/index.ts';
import { encodeCommandId } from '../../../src/adapters/dingtalk/actions.ts';
import { dingtalkSign } from '../../../src/adapters/dingtalk/verify.ts';
import { fixture, silentLog, startFakeDingtalk, testConfig } from './helpers.ts';

let fake: Awaited<ReturnType<typeof startFakeDingtalk>> | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const NOW = 1_700_000_000_000;

function rawRequest(body: unknown, headers: Record<string, string | undefined>): RawRequest {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    query: new URLSearchParams(),
    params: {},
    rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    receivedAt: NOW,
  };
}

function signed(body: unknown, ts = NOW, secret = 'this is secret'): RawRequest {
  return rawRequest(body, { timestamp: String(ts), sign: dingtalkSign(String(ts), secret) });
}

async function setup() {
  fake = await startFakeDingtalk();
  const received: IncomingMessage[] = [];
  const adapter = createDingtalkAdapter({
    config: testConfig(fake.base, { mode: 'http' }),
    log: silentLog,
    clock: () => NOW,
    onMessage: async (m) => {
      received.push(m);
      // the bot answers asynchronously through adapter.send
      setImmediate(() => void adapter.send({ to: m.chat, inReplyTo: m, reply: text(`status of ${m.text.split(' ')[1] ?? ''}`) }));
    },
  });
  const route = adapter.routes()[0];
  if (!route) throw new Error('no route');
  return { fake, adapter, route, received };
}

describe('POST /webhooks/dingtalk (HTTP mode)', () => {
  it('is the only route, in http mode', async () => {
    const { route, adapter } = await setup();
    expect(adapter.routes()).toHaveLength(1);
    expect(route).toMatchObject({ method: 'POST', path: '/webhooks/dingtalk' });
    expect(adapter.platform).toBe('dingtalk');
    expect(adapter.addressPrefixes).toEqual(['dingtalk', 'dingtalk-robot']);
  });

  it('a signed /status demo gets 200 at once and its reply arrives at the sessionWebhook', async () => {
    const { fake, route, received } = await setup();
    const body = { ...fixture('dingtalk-robot-message-chatops.json'), text: { content: ' /status demo' }, sessionWebhook: `${fake.base}/robot/sendBySession?session=abc` };
    const answer = await route.handle(signed(body));
    expect(answer).toEqual({ status: 200, body: {} });
    expect(received.map((m) => m.text)).toEqual(['/status demo']);
    await expect.poll(() => fake.callsTo('/robot/sendBySession').length).toBe(1);
    expect(fake.callsTo('/robot/sendBySession')[0]?.body).toMatchObject({ msgtype: 'text', text: { content: 'status of demo' } });
    // a redelivery of the same msgId is not handed to the bot twice
    await route.handle(signed(body));
    expect(received).toHaveLength(1);
  });

  it('forged, stale, or unsigned requests get VerificationError (401) and nothing is processed', async () => {
    const { route, received, fake } = await setup();
    const body = fixture('dingtalk-robot-message-chatops.json');
    await expect(route.handle(signed(body, NOW, 'wrong secret'))).rejects.toThrow(VerificationError);
    await expect(route.handle(signed(body, NOW - 3_600_001))).rejects.toThrow('stale timestamp');
    await expect(route.handle(rawRequest(body, {}))).rejects.toThrow('missing timestamp or sign header');
    // verification happens before parsing: garbage with a bad sign is 401, not 400
    await expect(route.handle(rawRequest('{garbage', { timestamp: String(NOW), sign: 'x' }))).rejects.toThrow(VerificationError);
    expect(received).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
  });

  it('a verified but malformed body is 400, a wrong content type 415', async () => {
    const { route } = await setup();
    // DingTalk signs a fresh timestamp per request; a pair is good for one body only (replay.test.ts).
    await expect(route.handle(signed('{garbage', NOW))).rejects.toThrow(BadRequestError);
    await expect(route.handle(signed({ msgId: 'x' }, NOW - 1))).rejects.toThrow(BadRequestError);
    const req = signed({}, NOW - 2);
    req.headers['content-type'] = 'text/xml';
    await expect(route.handle(req)).rejects.toThrow(UnsupportedMediaError);
  });

  it('an HTTP card callback becomes a command from the clicker', async () => {
    const { route, received } = await setup();
    const data = {
      ...fixture('dingtalk-card-callback.json'),
      content: JSON.stringify({ cardPrivateData: { actionIds: [encodeCommandId('/deploy confirm 0001')], params: {} } }),
    };
    expect(await route.handle(signed(data))).toEqual({ status: 200, body: {} });
    expect(received[0]).toMatchObject({ fromAction: true, text: '/deploy confirm 0001', sender: { id: 'lisi' } });
  });
});

describe('delivery failures', () => {
  it('a message the bot failed to record is accepted again on redelivery', async () => {
    fake = await startFakeDingtalk();
    let calls = 0;
    const adapter = createDingtalkAdapter({
      config: testConfig(fake.base, { mode: 'http' }),
      log: silentLog,
      clock: () => NOW,
      onMessage: async () => {
        if (++calls === 1) throw new Error('store down');
      },
    });
    const route = adapter.routes()[0]!;
    const body = fixture('dingtalk-robot-message-chatops.json');
    await expect(route.handle(signed(body))).rejects.toThrow('store down');
    expect(await route.handle(signed(body))).toEqual({ status: 200, body: {} });
    await route.handle(signed(body));
    expect(calls).toBe(2);
  });
});
