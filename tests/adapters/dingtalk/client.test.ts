import { afterEach, describe, expect, it } from 'vitest';
import { actions, commandButton, markdown, type Card } from '../../../cards/model.ts';
import { UpstreamError } from '../../../src/core/errors.ts';
import { cardReply, text, type IncomingMessage } from '../../../src/core/message.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { DingtalkClient, TOKEN_REFRESH_MARGIN_MS } from '../../../src/adapters/dingtalk/client.ts';
import { parseRobotMessage } from '../../../src/adapters/dingtalk/parse.ts';
import { DingtalkSender, type CardRecord } from '../../../src/adapters/dingtalk/send.ts';
import { fixture, silentLog, startFakeDingtalk, testConfig, type Responder } from './helpers.ts';

let fake: Awaited<ReturnType<typeof startFakeDingtalk>> | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(respond?: Responder, opts: { now?: number; interactiveCards?: boolean; store?: MemoryStore } = {}) {
  fake = await startFakeDingtalk(respond);
  const clock = { now: opts.now ?? 1_700_000_000_000 };
  const config = testConfig(fake.base, { mode: 'stream' });
  const client = new DingtalkClient({ config, log: silentLog, clock: () => clock.now, retryBaseMs: 1 });
  const cards = opts.store?.collection<CardRecord>('dingtalk-cards', { tier: 'bulk' });
  const sender = new DingtalkSender({ config, client, log: silentLog, clock: () => clock.now, interactiveCards: opts.interactiveCards ?? true, ...(cards ? { cards } : {}) });
  return { fake, clock, client, sender, config };
}

/** The chatops fixture with its sessionWebhook pointed at the fake. */
function incoming(base: string, over: Record<string, unknown> = {}): IncomingMessage {
  const f = fixture('dingtalk-robot-message-chatops.json');
  return parseRobotMessage({ ...f, sessionWebhook: `${base}/robot/sendBySession?session=s1`, ...over });
}

const alert: Card = { title: 'Alert A42', tone: 'danger', blocks: [markdown('firing'), actions([commandButton('Ack', '/alert ack A42', 'primary')])] };

describe('DingtalkClient access token (§4.3)', () => {
  it('caches, shares one fetch between concurrent callers, and refreshes 5 min before expiry', async () => {
    const { fake, client, clock } = await setup();
    const [a, b] = await Promise.all([client.accessToken(), client.accessToken()]);
    expect(a).toBe('tok-1');
    expect(b).toBe('tok-1');
    expect(fake.callsTo('/v1.0/oauth2/accessToken')).toHaveLength(1);
    expect(fake.calls[0]?.body).toEqual({ appKey: 'dingAPPKEY', appSecret: 'this is secret' });
    clock.now += 7200_000 - TOKEN_REFRESH_MARGIN_MS - 1;
    expect(await client.accessToken()).toBe('tok-1');
    clock.now += 2;
    expect(await client.accessToken()).toBe('tok-2');
    expect(client.stats.tokenFetches).toBe(2);
  });

  it('sends the token header on OpenAPI calls, retries 5xx, and maps errors to UpstreamError', async () => {
    let fails = 1;
    const { fake, client } = await setup((r) => {
      if (r.path === '/v1.0/robot/groupMessages/send' && fails-- > 0) return { status: 503, body: { code: 'busy' } };
      if (r.path === '/v1.0/robot/oToMessages/batchSend') return { status: 403, body: { code: 'Forbidden.AccessDenied', message: 'no perm' } };
      return undefined;
    });
    await client.sendGroupMessage('cidX', 'sampleText', { content: 'hi' });
    const sends = fake.callsTo('/v1.0/robot/groupMessages/send');
    expect(sends).toHaveLength(2);
    expect(sends[1]?.headers['x-acs-dingtalk-access-token']).toBe('tok-1');
    expect(sends[1]?.body).toEqual({ robotCode: 'dingrobotcode00000', openConversationId: 'cidX', msgKey: 'sampleText', msgParam: '{"content":"hi"}' });
    const err = await client.sendDirectMessage(['u1'], 'sampleText', { content: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(403);
    expect((err as Error).message).toContain('Forbidden.AccessDenied');
    expect((err as Error).message).not.toContain('tok-1');
  });

  it('drops a token the API rejects with 401 and retries once with a fresh one', async () => {
    const { fake, client } = await setup((r) =>
      r.path === '/v1.0/robot/groupMessages/send' && r.headers['x-acs-dingtalk-access-token'] === 'tok-1'
        ? { status: 401, body: { code: 'InvalidAuthentication', message: 'token invalid' } }
        : undefined,
    );
    await client.sendGroupMessage('cidX', 'sampleText', { content: 'hi' });
    expect(fake.callsTo('/v1.0/robot/groupMessages/send').map((c) => c.headers['x-acs-dingtalk-access-token'])).toEqual(['tok-1', 'tok-2']);
  });

  it('treats a 200 with errcode≠0 from a sessionWebhook as an error', async () => {
    const { fake, client } = await setup(() => ({ body: { errcode: 130101, errmsg: 'send too fast' } }));
    await expect(client.postSessionWebhook(`${fake.base}/robot/sendBySession?session=s`, { msgtype: 'text' })).rejects.toThrow(/130101/);
  });
});

describe('DingtalkSender routing (§4.1, §4.4)', () => {
  it('replies through a valid sessionWebhook with atUserIds', async () => {
    const { fake, sender, clock } = await setup();
    clock.now = 1_700_000_000_000; // fixture expiry is 1700005400000
    const msg = incoming(fake.base);
    await sender.send({ to: msg.chat, inReplyTo: msg, reply: text('收到'), mentions: ['zhangsan'] });
    const hooks = fake.callsTo('/robot/sendBySession');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.body).toEqual({ msgtype: 'text', text: { content: '收到\n@zhangsan' }, at: { atUserIds: ['zhangsan'], atMobiles: [], isAtAll: false } });
    expect(fake.callsTo('/v1.0/oauth2/accessToken')).toHaveLength(0);
  });

  it('falls back to groupMessages/send once the sessionWebhook expired', async () => {
    const { fake, sender, clock } = await setup();
    clock.now = 1_700_005_400_000;
    const msg = incoming(fake.base);
    await sender.send({ to: msg.chat, inReplyTo: msg, reply: text('late') });
    expect(fake.callsTo('/robot/sendBySession')).toHaveLength(0);
    const send = fake.callsTo('/v1.0/robot/groupMessages/send')[0];
    expect(send?.body).toMatchObject({ openConversationId: 'cidAbCdEfGhIjKlMnOpQrSt==', msgKey: 'sampleText', robotCode: 'dingrobotcode00000' });
  });

  it('falls back to the OpenAPI when the sessionWebhook fails', async () => {
    const { fake, sender } = await setup((r) => (r.path.startsWith('/robot/sendBySession') ? { status: 500, body: {} } : undefined));
    const msg = incoming(fake.base);
    await sender.send({ to: msg.chat, inReplyTo: msg, reply: text('x') });
    expect(fake.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(1);
  });

  it('sends single-chat replies and pushes via oToMessages/batchSend', async () => {
    const { fake, sender, clock } = await setup();
    clock.now = 1_800_000_000_000;
    const msg = incoming(fake.base, { conversationType: '1', conversationId: 'cidDirect' });
    sender.observe(msg);
    await sender.send({ to: msg.chat, inReplyTo: msg, reply: text('a') });
    await sender.send({ to: 'dingtalk:cidDirect', reply: text('b') });
    await sender.send({ to: 'dingtalk:user:lisi', reply: text('c') });
    const sends = fake.callsTo('/v1.0/robot/oToMessages/batchSend').map((c) => c.body['userIds']);
    expect(sends).toEqual([['zhangsan'], ['zhangsan'], ['lisi']]);
  });

  it('pushes a plain card (no command buttons) as sampleMarkdown to a team chat', async () => {
    const { fake, sender } = await setup();
    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply({ title: 'Deployed', blocks: [markdown('ok')] }) });
    const send = fake.callsTo('/v1.0/robot/groupMessages/send')[0];
    expect(send?.body['msgKey']).toBe('sampleMarkdown');
    expect(JSON.parse(String(send?.body['msgParam']))).toMatchObject({ title: 'Deployed' });
  });
});

describe('interactive cards (§4.8)', () => {
  it('creates a card, then updates it in place by cardKey, skipping no-op updates; persists the map', async () => {
    const store = new MemoryStore();
    const { fake, sender } = await setup(undefined, { store });
    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply(alert), cardKey: 'alert:A42', mentions: ['zhangsan'] });
    const create = fake.callsTo('/v1.0/card/instances/createAndDeliver')[0];
    expect(create?.body).toMatchObject({
      cardTemplateId: '382e4302-551d-4880-bf29-a30acfab2e71.schema',
      callbackType: 'STREAM',
      openSpaceId: 'dtv1.card//IM_GROUP.cidTeam',
      imGroupOpenDeliverModel: { robotCode: 'dingrobotcode00000', atUserIds: { zhangsan: 'zhangsan' } },
      userIdType: 1,
    });
    const outTrackId = String(create?.body['outTrackId']);
    expect((await sender.cardByTrack(outTrackId))?.chat).toBe('dingtalk:cidTeam');

    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply(alert), cardKey: 'alert:A42', mentions: ['zhangsan'] });
    expect(fake.callsTo('/v1.0/card/instances')).toHaveLength(0); // identical: no call

    const acked: Card = { ...alert, tone: 'warning', blocks: [markdown('acknowledged by 张三')] };
    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply(acked), cardKey: 'alert:A42' });
    const put = fake.callsTo('/v1.0/card/instances')[0];
    expect(put?.method).toBe('PUT');
    expect(put?.body).toMatchObject({ outTrackId, cardUpdateOptions: { updateCardDataByKey: true } });
    expect((put?.body['cardData'] as { cardParamMap: Record<string, string> }).cardParamMap['staticMsgContent']).toContain('acknowledged');
    expect(fake.callsTo('/v1.0/card/instances/createAndDeliver')).toHaveLength(1);

    // a new sender (restart) with the same store still updates the same card
    const again = new DingtalkSender({ config: testConfig(fake.base), client: new DingtalkClient({ config: testConfig(fake.base), log: silentLog }), log: silentLog, cards: store.collection<CardRecord>('dingtalk-cards', { tier: 'bulk' }) });
    await again.send({ to: 'dingtalk:cidTeam', reply: cardReply({ ...acked, title: 'Resolved' }), cardKey: 'alert:A42' });
    expect(fake.callsTo('/v1.0/card/instances').at(-1)?.body['outTrackId']).toBe(outTrackId);
  });

  it('uses the configured template id and IM_ROBOT for single chats', async () => {
    fake = await startFakeDingtalk();
    const config = testConfig(fake.base, { cardTemplateId: 'mine.schema' });
    const sender = new DingtalkSender({ config, client: new DingtalkClient({ config, log: silentLog }), log: silentLog });
    await sender.send({ to: 'dingtalk:user:lisi', reply: cardReply(alert) });
    expect(fake.callsTo('/v1.0/card/instances/createAndDeliver')[0]?.body).toMatchObject({
      cardTemplateId: 'mine.schema',
      openSpaceId: 'dtv1.card//IM_ROBOT.lisi',
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
      cardData: { cardParamMap: { title: 'Alert A42' } },
    });
  });

  it('falls back to markdown with typed commands when DingTalk rejects the card, and pauses cards', async () => {
    const { fake, sender } = await setup((r) =>
      r.path === '/v1.0/card/instances/createAndDeliver' ? { status: 400, body: { code: 'templateNotExist', message: 'x' } } : undefined,
    );
    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply(alert) });
    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply(alert) });
    expect(fake.callsTo('/v1.0/card/instances/createAndDeliver')).toHaveLength(1);
    const md = fake.callsTo('/v1.0/robot/groupMessages/send');
    expect(md).toHaveLength(2);
    expect(md[0]?.body['msgKey']).toBe('sampleMarkdown');
    expect(String(md[0]?.body['msgParam'])).toContain('/alert ack A42');
  });

  it('treats deliverResults success:false as a failure', async () => {
    const { fake, sender } = await setup((r) =>
      r.path === '/v1.0/card/instances/createAndDeliver' ? { body: { success: true, result: { deliverResults: [{ success: false, errorMsg: 'spaces of card is empty' }] } } } : undefined,
    );
    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply(alert) });
    expect(fake.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(1);
  });

  it('never sends interactive cards when disabled (HTTP mode)', async () => {
    const { fake, sender } = await setup(undefined, { interactiveCards: false });
    await sender.send({ to: 'dingtalk:cidTeam', reply: cardReply(alert), cardKey: 'k' });
    expect(fake.callsTo('/v1.0/card/instances/createAndDeliver')).toHaveLength(0);
    expect(fake.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(1);
  });
});
