/**
 * "@ that notifies, on every path": for each DingTalk path the request reaching the fake API carries
 * the mention in the field DingTalk honours (chat-platforms.md §4.1, §4.2, §4.5), and where no such
 * field exists (groupMessages/send, §4.4) the text names the people and a counter says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { People } from '../../../src/core/people.ts';
import { text, type IncomingMessage } from '../../../src/core/message.ts';
import { PLATFORM_IDENTITIES } from '../../../src/platforms.ts';
import { dingtalkConfigSchema } from '../../../src/adapters/dingtalk/config.ts';
import { createDingtalkAdapter } from '../../../src/adapters/dingtalk/index.ts';
import { parseRobotMessage } from '../../../src/adapters/dingtalk/parse.ts';
import { startFakeDingtalkApi, type FakeDingtalkApi, type FakeDingtalkApiOptions } from '../../helpers/fake-dingtalk-api.ts';
import { fixture, silentLog } from './helpers.ts';

const NOW = 1_700_000_000_000; // the fixture's sessionWebhook expires at 1700005400000
const config = configSchema.parse({
  people: {
    alice: { name: 'Alice', dingtalk: 'ding-alice' },
    bob: { name: 'Bob', mobile: '138-0000-0000' },
    carol: { name: 'Carol' },
  },
});
const people = new People(config, PLATFORM_IDENTITIES);
const MENTIONS = people.mentionsFor('dingtalk:cidG', ['alice', 'bob', 'carol']);

let api: FakeDingtalkApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function setup(mode: 'stream' | 'http', o: { robots?: Record<string, unknown>; api?: FakeDingtalkApiOptions } = {}) {
  api = await startFakeDingtalkApi({ robots: { 'tok-g': 'SECgroup' }, now: () => NOW, ...o.api });
  const dt = dingtalkConfigSchema.parse({ mode, clientId: 'dingK', clientSecret: 's', robotCode: 'dingK', apiBase: api.base, oapiBase: api.base, ...(o.robots ? { robots: o.robots } : {}) });
  const adapter = createDingtalkAdapter({ config: dt, onMessage: async () => {}, log: silentLog, clock: () => NOW, people: config.people });
  return { api, adapter };
}

function incoming(base: string): IncomingMessage {
  const f = fixture('dingtalk-robot-message-chatops.json');
  return parseRobotMessage({ ...f, sessionWebhook: `${base}/robot/sendBySession?session=s1` });
}

describe('people → DingTalk mentions', () => {
  it('a staffId where set, else tel:<mobile>; nobody for a person with neither; the same for robot chats', () => {
    expect(MENTIONS).toEqual(['ding-alice', 'tel:13800000000']);
    expect(people.mentionsFor('dingtalk-robot:ops', ['alice', 'bob'])).toEqual(['ding-alice', 'tel:13800000000']);
    expect(configSchema.safeParse({ people: { x: { name: 'X', mobile: 'call me' } } }).success).toBe(false);
    expect(configSchema.safeParse({ people: { x: { name: 'X', mobile: '+86 138 0000 0000' } } }).success).toBe(true);
  });
});

describe('DingTalk @ on every path', () => {
  it('sessionWebhook: at.atUserIds + at.atMobiles, and @id/@mobile in the text', async () => {
    const { api, adapter } = await setup('http');
    const msg = incoming(api.base);
    await adapter.send({ to: msg.chat, inReplyTo: msg, reply: text('收到'), mentions: MENTIONS });
    const [hook] = api.requests.filter((r) => r.kind === 'session');
    expect(hook?.body).toEqual({ msgtype: 'text', text: { content: '收到\n@ding-alice @13800000000' }, at: { atUserIds: ['ding-alice'], atMobiles: ['13800000000'], isAtAll: false } });
    expect(adapter.stats().mentionsUnnotified).toBe(0);
  });

  it('Stream mode push: an interactive card with imGroupOpenDeliverModel.atUserIds; mobile-only people are named', async () => {
    const { api, adapter } = await setup('stream');
    await adapter.send({ to: 'dingtalk:cidG', reply: text('deploy failed'), mentions: MENTIONS });
    expect(api.sentTo('dingtalk:cidG', 'group')).toHaveLength(0);
    const [card] = api.cardsTo('dingtalk:cidG');
    expect((card?.body['imGroupOpenDeliverModel'] as { atUserIds: unknown }).atUserIds).toEqual({ 'ding-alice': 'ding-alice' });
    const params = (card?.body['cardData'] as { cardParamMap: Record<string, string> }).cardParamMap;
    expect(params['staticMsgContent']).toContain('需通知：Bob');
    expect(params['staticMsgContent']).toContain('@ding-alice');
    expect(adapter.stats().mentionsUnnotified).toBe(1);
  });

  it('HTTP mode push without a robot: groupMessages/send says plainly who should have been notified, and counts it', async () => {
    const { api, adapter } = await setup('http');
    await adapter.send({ to: 'dingtalk:cidG', reply: text('deploy failed'), mentions: MENTIONS });
    const [sent] = api.sentTo('dingtalk:cidG', 'group');
    expect(JSON.parse(String(sent?.body['msgParam']))).toEqual({ content: 'deploy failed\n需通知：Alice、Bob' });
    expect(adapter.stats().mentionsUnnotified).toBe(2);
    // Without mentions nothing changes.
    await adapter.send({ to: 'dingtalk:cidG', reply: text('ok') });
    expect(JSON.parse(String(api.sentTo('dingtalk:cidG', 'group')[1]?.body['msgParam']))).toEqual({ content: 'ok' });
  });

  it('HTTP mode push with the group\'s custom robot: through /robot/send with at', async () => {
    const { api, adapter } = await setup('http', { robots: { g: { accessToken: 'tok-g', secret: 'SECgroup', group: 'cidG' } } });
    await adapter.send({ to: 'dingtalk:cidG', reply: text('deploy failed'), mentions: MENTIONS });
    expect(api.sentTo('dingtalk:cidG', 'group')).toHaveLength(0);
    const [sent] = api.sentTo('dingtalk-robot-token:tok-g', 'robot');
    expect(sent?.body['at']).toEqual({ atUserIds: ['ding-alice'], atMobiles: ['13800000000'], isAtAll: false });
    expect(adapter.stats().mentionsUnnotified).toBe(0);
  });

  it('Stream mode during the card pause (after a card error): the group robot, else the names', async () => {
    let failCards = true;
    const { api, adapter } = await setup('stream', {
      robots: { g: { accessToken: 'tok-g', secret: 'SECgroup', group: 'cidG' } },
      api: { cardAnswer: () => (failCards ? { success: false, result: { deliverResults: [{ success: false, errorMsg: 'templateNotExist' }] } } : undefined) },
    });
    await adapter.send({ to: 'dingtalk:cidG', reply: text('first'), mentions: MENTIONS });
    failCards = false; // cards stay paused for 10 minutes anyway
    await adapter.send({ to: 'dingtalk:cidOther', reply: text('second'), mentions: MENTIONS });
    expect(api.cardsTo('dingtalk:cidOther')).toHaveLength(0);
    expect(api.sentTo('dingtalk-robot-token:tok-g', 'robot')).toHaveLength(1); // "first", via cidG's robot
    const [other] = api.sentTo('dingtalk:cidOther', 'group');
    expect(JSON.parse(String(other?.body['msgParam']))['content']).toContain('需通知：Alice、Bob');
  });
});
