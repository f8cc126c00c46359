/**
 * Issue 15 §4: DingTalk HTTP mode gets interactive cards. With `server.publicUrl` the adapter registers
 * `<publicUrl>/webhooks/dingtalk` under `cardCallbackRouteKey` at start (client.registerCardCallback),
 * creates cards with `callbackType: HTTP` + that key, and a signed click POSTed to the route runs as the
 * clicker's command (the same path as the Stream topic's card callbacks). Without a public URL, or when
 * DingTalk refuses the registration, cards stay markdown with typed commands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Card } from '../../../cards/model.ts';
import { encodeCommandId } from '../../../src/adapters/dingtalk/actions.ts';
import { createDingtalkAdapter } from '../../../src/adapters/dingtalk/index.ts';
import { dingtalkSign } from '../../../src/adapters/dingtalk/verify.ts';
import type { RawRequest } from '../../../src/adapters/types.ts';
import { cardReply, type IncomingMessage } from '../../../src/core/message.ts';
import { silentLog, startFakeDingtalk, testConfig, type Responder } from './helpers.ts';

let fake: Awaited<ReturnType<typeof startFakeDingtalk>> | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const NOW = 1_700_000_000_000;
const GROUP = 'cidHttpCards==';
const CARD: Card = { title: 'Deploy demo', tone: 'info', blocks: [{ kind: 'actions', buttons: [{ label: 'Cancel', action: { command: '/cancel 7' } }] }] };

function signed(body: unknown): RawRequest {
  const ts = String(NOW);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', timestamp: ts, sign: dingtalkSign(ts, 'this is secret') },
    query: new URLSearchParams(),
    params: {},
    rawBody: Buffer.from(JSON.stringify(body)),
    receivedAt: NOW,
  };
}

async function setup(o: { publicUrl?: string; respond?: Responder } = {}) {
  fake = await startFakeDingtalk(o.respond);
  const received: IncomingMessage[] = [];
  const adapter = createDingtalkAdapter({
    config: testConfig(fake.base, { mode: 'http', cardCallbackRouteKey: 'opsbot-test' }),
    log: silentLog,
    clock: () => NOW,
    onMessage: async (m) => void received.push(m),
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
  });
  await adapter.start();
  return { fake, adapter, received, route: adapter.routes()[0]! };
}

describe('DingTalk HTTP mode: interactive cards', () => {
  it('registers the callback at start, creates cards with callbackType HTTP, and a signed click runs the command', async () => {
    const { fake, adapter, received, route } = await setup({ publicUrl: 'https://bot.example.com/' });
    const reg = fake.callsTo('/topapi/im/chat/scencegroup/interactivecard/callback/register');
    expect(reg).toHaveLength(1);
    expect(reg[0]!.path).toContain('access_token=tok-');
    expect(reg[0]!.body).toEqual({ callback_url: 'https://bot.example.com/webhooks/dingtalk', api_secret: 'this is secret', callbackRouteKey: 'opsbot-test', forceUpdate: true });

    await adapter.send({ to: `dingtalk:${GROUP}`, reply: cardReply(CARD) });
    const created = fake.callsTo('/v1.0/card/instances/createAndDeliver');
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toMatchObject({ callbackType: 'HTTP', callbackRouteKey: 'opsbot-test', openSpaceId: `dtv1.card//IM_GROUP.${GROUP}` });
    expect(fake.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(0);

    // The click, as DingTalk POSTs it to the registered URL (chat-platforms.md §4.6: `value` on HTTP).
    const outTrackId = String(created[0]!.body['outTrackId']);
    const click = { outTrackId, corpId: 'dingcorp', userId: 'lisi', type: 'actionCallback', value: JSON.stringify({ cardPrivateData: { actionIds: [encodeCommandId('/cancel 7')], params: {} } }) };
    expect(await route.handle(signed(click))).toEqual({ status: 200, body: {} });
    expect(received.map((m) => [m.text, m.sender.id, m.chat])).toEqual([['/cancel 7', 'lisi', `dingtalk:${GROUP}`]]);
    await adapter.stop();
  });

  it('without server.publicUrl nothing is registered and cards go out as markdown with the commands to type', async () => {
    const { fake, adapter } = await setup();
    await adapter.send({ to: `dingtalk:${GROUP}`, reply: cardReply(CARD) });
    expect(fake.callsTo('/topapi/im/chat/scencegroup/interactivecard/callback/register')).toHaveLength(0);
    expect(fake.callsTo('/v1.0/card/instances/createAndDeliver')).toHaveLength(0);
    const md = fake.callsTo('/v1.0/robot/groupMessages/send');
    expect(md).toHaveLength(1);
    expect(JSON.stringify(md[0]!.body)).toContain('/cancel 7');
    await adapter.stop();
  });

  it('a refused registration (errcode ≠ 0) keeps cards as markdown', async () => {
    const respond: Responder = (r) => (r.path.startsWith('/topapi/im/chat/scencegroup/interactivecard/callback/register') ? { body: { errcode: 40035, errmsg: '不合法的参数' } } : undefined);
    const { fake, adapter } = await setup({ publicUrl: 'https://bot.example.com', respond });
    await adapter.send({ to: `dingtalk:${GROUP}`, reply: cardReply(CARD) });
    expect(fake.callsTo('/v1.0/card/instances/createAndDeliver')).toHaveLength(0);
    expect(fake.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(1);
    await adapter.stop();
  });
});
