// A freeze set while a deploy waits in the queue still holds when that deploy would start (review of
// issue 18 §4): the task ends failed with the freeze's reason and never runs its engine; an admin's
// override made when asking carries through.
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { createTestBot } from '../helpers/test-bot.ts';

type TB = Awaited<ReturnType<typeof createTestBot>>;
let tb: TB | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

const YAML = `
locale: en
chat: { console: false }
deploy: { progressThrottleMs: 0 }
people:
  alice: { name: Alice, roles: [deployer] }
  root: { name: Root, roles: [admin] }
teams:
  payments: { members: [alice], chats: ["test:team"] }
products:
  demo:
    team: payments
    components: [component-a]
    releases:
      v1.0.0: { component-a: v1.0.0 }
      v1.1.0: { component-a: v1.1.0 }
    environments:
      stage: { engine: { type: command, run: ["sh", "-c", "sleep 1"] } }
`;

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a freeze while a deploy waits', () => {
  it('the waiting deploy does not start; an admin override given when asking still goes through', { timeout: 60_000 }, async () => {
    tb = await createTestBot({ yaml: YAML });
    const deploys = tb.opsbot.services.get(DEPLOYS)!;
    await tb.say('/deploy demo v1.0.0 stage', { from: 'alice' });
    await tb.say('/deploy demo v1.1.0 stage', { from: 'alice' });
    await tb.say('/freeze demo stage 2h incident', { from: 'alice' });
    await until(async () => (await deploys.get('2'))?.state === 'failed');
    const second = (await deploys.get('2'))!;
    expect(second.reason).toContain('frozen while it waited');
    expect(second.reason).toContain('incident');
    expect(second.startedAt).toBeDefined();
    expect((await deploys.get('1'))!.state).toMatch(/running|succeeded/);

    // An admin's override, confirmed while frozen, is carried by the task and starts despite the freeze.
    const ask = (await tb.say('/deploy demo v1.1.0 stage --override-freeze', { from: 'root' })).join('\n');
    expect(ask).toContain('/confirm');
    const id = /\/confirm ([a-z0-9]+)/.exec(ask)?.[1];
    await tb.say(`/confirm ${id ?? ''}`.trim(), { from: 'root' });
    await until(async () => (await deploys.get('3'))?.state === 'succeeded');
  });
});
