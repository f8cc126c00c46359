// The "done when" flow through the bot's neutral seam: /deploy, card updates to success,
// /status, /rollback, protected env confirmation, dry run, releases, tasks, cancel.
import { afterEach, describe, expect, it } from 'vitest';
import { cardToText } from '../../cards/model.ts';
import { replyToText } from '../../src/core/bot.ts';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { BASE_YAML, createTestBot } from '../helpers/test-bot.ts';

type TB = Awaited<ReturnType<typeof createTestBot>>;
let tb: TB | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

async function setup() {
  // Every progress update as its own card update, so the test sees each state.
  tb = await createTestBot({ yaml: `${BASE_YAML}deploy: { progressThrottleMs: 0 }\n` });
  const deploys = tb.opsbot.services.get(DEPLOYS)!;
  const cards = (key: string) => tb!.adapter.sent.filter((m) => m.cardKey === key).map((m) => replyToText(m.reply));
  return { ...tb, deploys, cards };
}

describe('deploy commands', () => {
  it('deploys, shows status, and rolls back to the previous release', async () => {
    const { say, deploys, cards } = await setup();
    // The card comes from the deploy service (cardKey task:1), not as a command reply.
    expect((await say('/deploy demo v1.0.0 env-1'))[0]).toMatch(/Deploy #1/);
    await deploys.idle();
    const c1 = cards('task:1');
    expect(c1[0]).toMatch(/Deploy #1: demo v1.0.0 → env-1/);
    expect(c1.at(-1)).toContain('succeeded');
    expect(c1.at(-1)).toContain('run container component-b');

    await say('/deploy demo v1.1.0 env-1');
    await deploys.idle();
    expect(cards('task:2').at(-1)).toContain('succeeded');
    const status = (await say('/status demo')).join('\n');
    expect(status).toContain('env-1');
    expect(status).toContain('v1.1.0');
    expect(status).toContain('component-a v1.1.0');
    expect(status).toContain('by Alice');

    await say('/rollback demo env-1');
    await deploys.idle();
    const rb = cards('task:3');
    expect(rb[0]).toMatch(/Rollback #3: demo v1.0.0 → env-1/);
    expect(rb.at(-1)).toContain('succeeded');
    expect((await say('/status demo')).join('\n')).toMatch(/env-1\*\*: v1.0.0/);

    const tasks = (await say('/tasks demo')).join('\n');
    expect(tasks).toContain('#3 succeeded');
    expect(tasks).toContain('#1 succeeded');
    const one = (await say('/task 1')).join('\n');
    expect(one).toContain('pull image registry.example.com/demo/component-a:v1.0.0');
  });

  it('asks for confirmation on a protected environment; dry run shows the plan and runs nothing', async () => {
    const { say, deploys } = await setup();
    const ask = (await say('/deploy demo v1.1.0 prod')).join('\n');
    expect(ask).toContain('/confirm');
    expect(await deploys.list()).toHaveLength(0);
    const plan = (await say('/deploy demo v1.1.0 prod --dry-run')).join('\n');
    expect(plan).toContain('component-a: - → v1.1.0');
    expect(plan).toContain('Dry run');
    expect(plan).toContain('protected');
    expect(await deploys.list()).toHaveLength(0);
    expect((await say('/cancel')).join('\n')).toMatch(/cancel/i);
    // confirming runs it
    const id = /\/confirm ([\w-]+)/.exec((await say('/deploy demo v1.1.0 prod')).join('\n'))?.[1];
    expect(id).toBeDefined();
    await say(`/confirm ${id}`);
    await deploys.idle();
    expect((await deploys.list())[0]?.state).toBe('succeeded');
  });

  it('lists valid choices for unknown names and refuses people without the deployer role', async () => {
    const { say } = await setup();
    expect((await say('/deploy nope v1.0.0 env-1')).join('\n')).toContain('Valid products: demo');
    expect((await say('/deploy demo v9 env-1')).join('\n')).toContain('Valid releases: v1.1.0, v1.0.0');
    expect((await say('/rollback demo qa')).join('\n')).toContain('Valid environments: env-1, prod');
    expect((await say('/rollback demo env-1')).join('\n')).toContain('no previous release');
    expect((await say('/deploy demo v1.0.0 env-1', { from: 'bob' })).join('\n')).toMatch(/deployer/);
    expect((await say('/task 42')).join('\n')).toContain('No task #42');
    expect((await say('/cancel 42')).join('\n')).toContain('No task #42');
  });

  it('creates a release inheriting the other components and lists it', async () => {
    const { say } = await setup();
    const created = (await say('/release create demo v1.2.0 component-a=v1.2.0')).join('\n');
    expect(created).toContain('component-a: v1.2.0');
    expect(created).toContain('component-b: v1.0.0');
    const list = (await say('/releases demo')).join('\n');
    expect(list.indexOf('v1.2.0')).toBeLessThan(list.indexOf('v1.1.0'));
    expect(list).toContain('created by Alice');
    expect((await say('/release create demo v1.3.0 component-x=v1')).join('\n')).toContain('Unknown component component-x');
    expect((await say('/release create demo "v1;rm -rf" component-a=v1')).join('\n')).toContain('Invalid version');
  });

  it('cancels a running task from chat', async () => {
    const { say, deploys, cards } = await setup();
    await say('/deploy demo v1.0.0 env-1');
    const answer = (await say('/cancel 1')).join('\n');
    expect(answer).toMatch(/#1/);
    await deploys.idle();
    expect(cards('task:1').at(-1)).toMatch(/cancelled/);
    expect(cardToText({ title: 'x', blocks: [] })).toBe('x');
  });
});

describe('the issue\'s console acceptance flow', () => {
  it('/deploy demo v1.1.0 env-1 then /rollback demo env-1 returns it to v1.0.0', async () => {
    const { say, deploys } = await setup();
    await say('/deploy demo v1.1.0 env-1');
    await deploys.idle();
    expect((await say('/status demo')).join('\n')).toMatch(/env-1\*\*: v1.1.0/);
    await say('/rollback demo env-1');
    await deploys.idle();
    expect((await say('/status demo')).join('\n')).toMatch(/env-1\*\*: v1.0.0/);
  });
});
