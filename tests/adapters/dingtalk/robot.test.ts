import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { actions, commandButton, linkButton, markdown, type Card } from '../../../cards/model.ts';
import { cardReply, text } from '../../../src/core/message.ts';
import { dingtalkConfigSchema } from '../../../src/adapters/dingtalk/config.ts';
import { createDingtalkAdapter, type DingtalkAdapterDeps } from '../../../src/adapters/dingtalk/index.ts';
import { classifyRobotErrcode, RobotSendError, robotSign } from '../../../src/adapters/dingtalk/robot.ts';
import { startFakeDingtalkApi, type FakeDingtalkApi, type FakeDingtalkApiOptions } from '../../helpers/fake-dingtalk-api.ts';
import { fixture, silentLog } from './helpers.ts';

const vector = fixture<{ custom_robot_webhook: { secret: string; timestamp: string; sign_base64: string; sign_urlencoded: string } }>('dingtalk-signatures.json').custom_robot_webhook;
const SECRET = 'SECtest-secret-0123456789';

let api: FakeDingtalkApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function setup(o: { api?: FakeDingtalkApiOptions; robots?: Record<string, unknown>; deps?: Partial<DingtalkAdapterDeps> } = {}) {
  api = await startFakeDingtalkApi({ robots: { 'tok-ops': SECRET, 'tok-kw': undefined }, ...o.api });
  const config = dingtalkConfigSchema.parse({
    oapiBase: api.base,
    apiBase: api.base,
    robots: o.robots ?? { ops: { accessToken: 'tok-ops', secret: SECRET }, kw: { accessToken: 'tok-kw', keyword: '告警' } },
  });
  const adapter = createDingtalkAdapter({ config, onMessage: async () => {}, log: silentLog, ...o.deps });
  return { api, adapter };
}

describe('custom robot 加签 (chat-platforms.md §4.2)', () => {
  it('matches the fixture vector, URL-encoded as in the fixture URL', () => {
    expect(robotSign(vector.secret, vector.timestamp)).toBe(vector.sign_base64);
    expect(encodeURIComponent(robotSign(vector.secret, vector.timestamp))).toBe(vector.sign_urlencoded);
  });

  it('classifies errcodes: 130101 transient (throttle), 310000/300001 permanent', () => {
    expect(classifyRobotErrcode(130101)).toMatchObject({ transient: true, throttled: true });
    expect(classifyRobotErrcode(310000).transient).toBe(false);
    expect(classifyRobotErrcode(300001).transient).toBe(false);
    expect(classifyRobotErrcode(-1).transient).toBe(true);
  });
});

describe('chat.dingtalk with robots', () => {
  it('a section with only robots is valid; a partial app or nothing at all is not', () => {
    expect(dingtalkConfigSchema.safeParse({ robots: { ops: { accessToken: 't' } } }).success).toBe(true);
    const partial = dingtalkConfigSchema.safeParse({ clientId: 'a', robots: { ops: { accessToken: 't' } } });
    expect(partial.success).toBe(false);
    expect(partial.error?.issues.map((i) => i.path.join('.'))).toEqual(['clientSecret', 'robotCode']);
    const none = dingtalkConfigSchema.safeParse({});
    expect(none.error?.issues.map((i) => i.path.join('.'))).toEqual(['clientId', 'clientSecret', 'robotCode']);
    expect(dingtalkConfigSchema.safeParse({ robots: { ops: { accessToken: 't', extra: 1 } } }).success).toBe(false);
  });

  it('robots only: no route, no connection, no OpenAPI; dingtalk: addresses fail permanently', async () => {
    const { adapter, api } = await setup();
    expect(adapter.routes()).toEqual([]);
    expect(adapter.holdsConnection).toBe(false);
    expect(adapter.addressPrefixes).toContain('dingtalk-robot');
    await adapter.start();
    const err = await adapter.send({ to: 'dingtalk:cid1', reply: text('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RobotSendError);
    expect((err as RobotSendError).transient).toBe(false);
    expect(api.requests).toHaveLength(0);
    await adapter.stop();
  });
});

describe('sending to dingtalk-robot:<name>', () => {
  it('signs every send, @s by userId and mobile in `at` and in the text', async () => {
    const { adapter, api } = await setup();
    await adapter.send({ to: 'dingtalk-robot:ops', reply: text('deploy done'), mentions: ['ding-alice', 'tel:13800000000'] });
    const [sent] = api.sentTo('dingtalk-robot-token:tok-ops', 'robot');
    expect(sent?.body).toEqual({
      msgtype: 'text',
      text: { content: 'deploy done\n@ding-alice @13800000000' },
      at: { atUserIds: ['ding-alice'], atMobiles: ['13800000000'], isAtAll: false },
    });
    expect(adapter.stats().robots.robotSends).toBe(1);
  });

  it('adds the keyword where the robot uses 自定义关键词, and sends no sign then', async () => {
    const { adapter, api } = await setup();
    await adapter.send({ to: 'dingtalk-robot:kw', reply: cardReply({ title: 'CPU high', blocks: [markdown('firing')] }) });
    const [sent] = api.sentTo('dingtalk-robot-token:tok-kw', 'robot');
    expect(sent?.body['msgtype']).toBe('markdown');
    expect((sent?.body['markdown'] as { text: string }).text).toMatch(/告警$/);
    expect(api.requests.find((r) => r.path === '/robot/send')).toBeDefined();
  });

  const alert: Card = { title: 'Alert A42', tone: 'danger', blocks: [markdown('firing'), actions([commandButton('Ack', '/alert ack A42'), linkButton('Sentry', 'https://sentry.example/A42')])] };

  it('a card without mentions is an actionCard: links as buttons, commands typed unless a command URL exists', async () => {
    const { adapter, api } = await setup();
    await adapter.send({ to: 'dingtalk-robot:ops', reply: cardReply(alert) });
    const a = api.sentTo('dingtalk-robot-token:tok-ops', 'robot')[0]?.body['actionCard'] as { text: string; btns: unknown[] };
    expect(a.btns).toEqual([{ title: 'Sentry', actionURL: 'https://sentry.example/A42' }]);
    expect(a.text).toContain('`/alert ack A42`');
    await api.close();
    const second = await setup({ deps: { commandUrl: (c) => `https://bot.example/ui/command?text=${encodeURIComponent(c)}` } });
    await second.adapter.send({ to: 'dingtalk-robot:ops', reply: cardReply(alert) });
    const b = second.api.sentTo('dingtalk-robot-token:tok-ops', 'robot')[0]?.body['actionCard'] as { btns: Array<{ title: string; actionURL: string }> };
    expect(b.btns.map((x) => x.actionURL)).toEqual(['https://bot.example/ui/command?text=%2Falert%20ack%20A42', 'https://sentry.example/A42']);
  });

  it('a card that must @ someone goes as markdown with at (actionCard has no at)', async () => {
    const { adapter, api } = await setup();
    await adapter.send({ to: 'dingtalk-robot:ops', reply: cardReply(alert), mentions: ['ding-bob'] });
    const body = api.sentTo('dingtalk-robot-token:tok-ops', 'robot')[0]?.body;
    expect(body?.['msgtype']).toBe('markdown');
    expect(body?.['at']).toEqual({ atUserIds: ['ding-bob'], atMobiles: [], isAtAll: false });
    expect((body?.['markdown'] as { text: string }).text).toContain('@ding-bob');
  });

  it('holds a send rather than exceed the robot window (20 a minute in production)', async () => {
    const { adapter, api } = await setup({ deps: { robotTimings: { perMinute: 2, windowMs: 300 } } });
    const t0 = Date.now();
    await Promise.all([1, 2, 3].map((i) => adapter.send({ to: 'dingtalk-robot:ops', reply: text(`m${i}`) })));
    const sent = api.sentTo('dingtalk-robot-token:tok-ops', 'robot');
    expect(sent.map((s) => (s.body['text'] as { content: string }).content)).toEqual(['m1', 'm2', 'm3']);
    expect(sent[2]!.at - t0).toBeGreaterThanOrEqual(250);
    expect(adapter.stats().robots.robotHeld).toBe(1);
  });

  it('130101 is transient and holds the robot (no further calls); 310000, 300001 and unknown names are permanent', async () => {
    let throttle = true;
    const { adapter, api } = await setup({
      api: { robots: { 'tok-ops': SECRET, 'tok-kw': undefined }, robotAnswer: () => (throttle ? { errcode: 130101, errmsg: 'send too fast' } : undefined) },
      robots: { ops: { accessToken: 'tok-ops', secret: SECRET }, badsign: { accessToken: 'tok-ops', secret: 'SECwrong' }, gone: { accessToken: 'tok-gone' } },
    });
    const e1 = (await adapter.send({ to: 'dingtalk-robot:ops', reply: text('a') }).catch((e: unknown) => e)) as RobotSendError;
    expect(e1).toMatchObject({ transient: true, errcode: 130101 });
    expect(e1.retryAfterMs).toBe(600_000);
    throttle = false;
    const e2 = (await adapter.send({ to: 'dingtalk-robot:ops', reply: text('b') }).catch((e: unknown) => e)) as RobotSendError;
    expect(e2.transient).toBe(true);
    expect(api.requests.filter((r) => r.path === '/robot/send')).toHaveLength(1);
    const e3 = (await adapter.send({ to: 'dingtalk-robot:badsign', reply: text('c') }).catch((e: unknown) => e)) as RobotSendError;
    expect(e3).toMatchObject({ transient: false, errcode: 310000 });
    const e4 = (await adapter.send({ to: 'dingtalk-robot:gone', reply: text('d') }).catch((e: unknown) => e)) as RobotSendError;
    expect(e4).toMatchObject({ transient: false, errcode: 300001 });
    const e5 = (await adapter.send({ to: 'dingtalk-robot:nope', reply: text('e') }).catch((e: unknown) => e)) as RobotSendError;
    expect(e5.transient).toBe(false);
  });

  it('never logs the access token or the secret', async () => {
    let logged = '';
    const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => ((logged += String(c)), cb()) }));
    const { adapter } = await setup({
      api: { robots: { 'tok-ops': SECRET }, robotAnswer: () => ({ errcode: 130101, errmsg: 'too fast' }) },
      deps: { log },
    });
    await adapter.send({ to: 'dingtalk-robot:ops', reply: text('x') }).catch(() => {});
    await adapter.send({ to: 'dingtalk-robot:ops', reply: text('y') }).catch(() => {});
    expect(logged).toContain('"robot":"ops"');
    expect(logged).not.toContain('tok-ops');
    expect(logged).not.toContain(SECRET);
  });
});
