// Issue 18 "done when", in a fake DingTalk group (HTTP mode, tests/adapters/dingtalk/helpers.ts's fake
// OpenAPI on 127.0.0.1; message body from tests/fixtures/dingtalk/dingtalk-robot-message-chatops.json):
// `/oncall payments` names the right person before and after a handoff, the handoff card reaches the
// group, and a deploy into a frozen prod is refused, then goes through for an admin after the override.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { dingtalkSign } from '../../src/adapters/dingtalk/verify.ts';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { fixture, startFakeDingtalk } from '../adapters/dingtalk/helpers.ts';

let bot: Opsbot | undefined;
let fake: Awaited<ReturnType<typeof startFakeDingtalk>> | undefined;
afterEach(async () => {
  await bot?.stop();
  await fake?.close();
  bot = fake = undefined;
});

const GROUP = 'cidAbCdEfGhIjKlMnOpQrSt==';

async function setup(now: number) {
  fake = await startFakeDingtalk();
  let t = now;
  const yaml = `
locale: en
chat:
  dingtalk: { mode: http, clientId: dingAPPKEY, clientSecret: "this is secret", robotCode: dingrobotcode00000, apiBase: "${fake.base}", oapiBase: "${fake.base}" }
people:
  alice: { name: Alice, dingtalk: zhangsan, roles: [deployer] }
  bob: { name: Bob, dingtalk: lisi }
  root: { name: Root, dingtalk: wangwu, roles: [admin] }
teams:
  payments: { chats: ["dingtalk:${GROUP}"], oncall: payments-primary }
oncall:
  payments-primary:
    rotation: { every: week, handoff: "mon 10:00", start: "2026-11-30" }
    members: [alice, bob]
freezes: [{ product: demo, env: prod, cron: "0 18 * * 5", durationHours: 63, reason: weekend }]
products:
  demo:
    team: payments
    components: [component-a]
    releases: { v1.1.0: { component-a: v1.1.0 } }
    environments:
      prod: { protected: true, engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
`;
  const { config } = loadConfig({ file: 't.yaml', text: yaml, env: {} });
  bot = await createOpsbot({ config, log: pino({ level: 'silent' }), store: new MemoryStore(), clock: () => t });
  await bot.start();
  const route = bot.routes.find((r) => r.path === '/webhooks/dingtalk')!;
  let n = 0;
  const f = fake;
  /** A signed group message from `staffId`; resolves with the texts the bot answered through the sessionWebhook. */
  async function say(content: string, staffId = 'zhangsan'): Promise<string> {
    const session = `s${++n}`;
    const body = { ...fixture('dingtalk-robot-message-chatops.json'), msgId: `msg-${n}`, senderStaffId: staffId, createAt: t, sessionWebhookExpiredTime: t + 3_600_000, text: { content: ` ${content}` }, sessionWebhook: `${f.base}/robot/sendBySession?session=${session}` };
    const ts = String(Date.now()); // the adapter checks the signature against the wall clock
    await route.handle({ method: 'POST', headers: { 'content-type': 'application/json', timestamp: ts, sign: dingtalkSign(ts, 'this is secret') }, query: new URLSearchParams(), params: {}, rawBody: Buffer.from(JSON.stringify(body)), receivedAt: t });
    await bot!.bot.idle();
    const answers = () => f.calls.filter((c) => c.path.includes(`session=${session}`) || JSON.stringify(c.body).includes(`msg-${n}`));
    await expect.poll(() => answers().length, { timeout: 20_000 }).toBeGreaterThan(0);
    return answers().map((c) => JSON.stringify(c.body)).join('\n');
  }
  return { say, fake: f, setNow: (ms: number) => (t = ms), deploys: bot.services.get(DEPLOYS)! };
}

describe('in a fake DingTalk group', () => {
  it('/oncall payments names the right person before and after a handoff, and the handoff card reaches the group', async () => {
    const { say, setNow, fake } = await setup(Date.parse('2026-12-07T01:59:00Z'));
    expect(await say('/oncall payments')).toMatch(/Primary[^\n]*Alice/);
    const before = fake.calls.length;
    setNow(Date.parse('2026-12-07T02:00:01Z'));
    await expect.poll(() => fake.calls.slice(before).filter((c) => JSON.stringify(c.body).includes('On-call handoff')).length, { timeout: 20_000 }).toBe(1);
    const card = fake.calls.slice(before).find((c) => JSON.stringify(c.body).includes('On-call handoff'))!;
    expect(JSON.stringify(card.body)).toContain(GROUP);
    expect(JSON.stringify(card.body)).toContain('Bob takes over from Alice');
    expect(await say('/oncall payments')).toMatch(/Primary[^\n]*Bob/);
  });

  it('refuses a deploy into frozen prod with reason and expiry; an admin goes through after the override confirmation', async () => {
    const { say, deploys } = await setup(Date.parse('2026-12-04T11:00:00Z'));
    const refused = await say('/deploy demo v1.1.0 prod');
    expect(refused).toContain('Refused deploy');
    expect(refused).toContain('weekend');
    expect(refused).toContain('2026-12-07 09:00');
    const ask = await say('/deploy demo v1.1.0 prod --override-freeze', 'wangwu');
    expect(ask).toContain('Freeze override');
    const id = /\/confirm ([\w-]+)/.exec(ask)?.[1];
    expect(id).toBeDefined();
    await say(`/confirm ${id}`, 'wangwu');
    await deploys.idle();
    expect((await deploys.list())[0]).toMatchObject({ env: 'prod', state: 'succeeded' });
  });
});
