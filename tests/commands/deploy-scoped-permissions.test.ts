// Per-product deploy permission: `deployer:<product>` lets alice deploy `demo` but not `billing`, through
// the real commands, deploy service and bot (global `deployer` and `admin` keep working as before).
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { createTestBot } from '../helpers/test-bot.ts';

const product = (id: string) => `
  ${id}:
    team: payments
    components: [component-a, component-b]
    releases:
      v1.0.0: { component-a: v1.0.0, component-b: v1.0.0 }
      v1.1.0: { component-a: v1.1.0, component-b: v1.0.0 }
    environments:
      env-1: { engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
      prod: { protected: true, engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }`;

const yaml = (locale: 'en' | 'zh-CN') => `
locale: ${locale}
chat: { console: false }
people:
  alice: { name: Alice, roles: [viewer, "deployer:demo"] }
  carol: { name: Carol, roles: [deployer] }
  root: { name: Root, roles: [admin] }
  bob: { name: Bob, roles: [] }
teams:
  payments: { members: [alice, carol], chats: ["test:team"] }
products:${product('demo')}${product('billing')}
`;

type TB = Awaited<ReturnType<typeof createTestBot>>;
let tb: TB | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

async function setup(locale: 'en' | 'zh-CN' = 'en') {
  tb = await createTestBot({ yaml: `${yaml(locale)}\ndeploy: { progressThrottleMs: 0 }\n` });
  const deploys = tb.opsbot.services.get(DEPLOYS)!;
  const say = async (text: string, from: string) => (await tb!.say(text, { from })).join('\n');
  return { ...tb, say, deploys };
}

describe('deployer:<product> (scoped role)', () => {
  it('alice may deploy and roll back demo but not billing; the denial names the product and the roles', async () => {
    const { say, deploys, store } = await setup();
    expect(await say('/deploy demo v1.0.0 env-1', 'alice')).toMatch(/Deploy #1/);
    await deploys.idle();
    const denied = await say('/deploy billing v1.0.0 env-1', 'alice');
    expect(denied).toContain('Not allowed');
    expect(denied).toContain('/deploy on product billing needs one of the roles: deployer, deployer:billing. Your roles: viewer, deployer:demo');
    expect(await say('/rollback billing env-1', 'alice')).toContain('/rollback on product billing needs one of the roles');
    expect(await say('/release create billing v1.2.0 component-a=v1.2.0', 'alice')).toContain('/release on product billing');
    expect((await deploys.list()).map((t) => t.product)).toEqual(['demo']);
    const [audit] = await store.listAudit({ limit: 1 });
    expect(audit).toMatchObject({ actor: 'alice', command: '/release create billing v1.2.0 component-a=v1.2.0', outcome: 'denied' });
    // on her product the other deployer commands work
    expect(await say('/release create demo v1.2.0 component-a=v1.2.0', 'alice')).toContain('component-a: v1.2.0');
    await say('/deploy demo v1.1.0 env-1', 'alice');
    await deploys.idle();
    await say('/rollback demo env-1', 'alice');
    await deploys.idle();
    expect((await deploys.list()).map((t) => `${t.product} ${t.kind} ${t.state}`)).toContain('demo rollback succeeded');
  });

  it('a protected environment of another product is refused before any confirmation card', async () => {
    const { say, deploys } = await setup();
    const out = await say('/deploy billing v1.0.0 prod', 'alice');
    expect(out).toContain('on product billing');
    expect(out).not.toContain('/confirm');
    // her own product asks for confirmation as usual, and the confirmed command runs
    const id = /\/confirm ([\w-]+)/.exec(await say('/deploy demo v1.0.0 prod', 'alice'))?.[1];
    expect(id).toBeDefined();
    await say(`/confirm ${id}`, 'alice');
    await deploys.idle();
    expect((await deploys.list())[0]).toMatchObject({ product: 'demo', env: 'prod', state: 'succeeded' });
  });

  it('/cancel <id> takes the product from the task', async () => {
    const { say, deploys } = await setup();
    expect(await say('/deploy billing v1.0.0 env-1', 'carol')).toMatch(/Deploy #1/);
    const denied = await say('/cancel 1', 'alice');
    expect(denied).toContain('/cancel on product billing needs one of the roles: deployer, deployer:billing');
    expect(denied).not.toMatch(/cancel(led|lation)/i);
    // an unknown id involves no product: she is told it does not exist, as a global deployer would be
    expect(await say('/cancel 99', 'alice')).toContain('No task #99');
    expect(await say('/cancel 1', 'carol')).toMatch(/#1/);
    await deploys.idle();
    expect((await deploys.get('1'))?.state).toBe('cancelled');
    // her own product's task she may cancel
    await say('/deploy demo v1.0.0 env-1', 'alice');
    expect(await say('/cancel 2', 'alice')).toMatch(/Cancel.*#2|#2.*cancel/i);
  });

  it('global deployer and admin act on every product; no role at all is refused as before', async () => {
    const { say, deploys } = await setup();
    expect(await say('/deploy billing v1.0.0 env-1', 'carol')).toMatch(/Deploy #1/);
    expect(await say('/deploy demo v1.0.0 env-1', 'root')).toMatch(/Deploy #2/);
    await deploys.idle();
    expect(await say('/deploy demo v1.0.0 env-1', 'bob')).toContain('/deploy needs one of the roles: deployer. Your roles: -');
  });

  it('the denial is translated (zh-CN)', async () => {
    const { say } = await setup('zh-CN');
    const out = await say('/deploy billing v1.0.0 env-1', 'alice');
    expect(out).toContain('没有权限');
    expect(out).toContain('/deploy 操作产品 billing 需要以下角色之一：deployer, deployer:billing。你的角色：viewer, deployer:demo');
  });

  it('/help shows the scoped form for the deploy commands only', async () => {
    const { say } = await setup();
    const help = await say('/help deploy', 'alice');
    expect(help).toContain('deployer (or for one product: deployer:<product>)');
    expect(await say('/help sentry', 'alice')).not.toContain('<product>');
  });
});
