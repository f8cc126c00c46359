// Deploy freezes through the bot's neutral seam (issue 18 §4 "done when"): a deploy into a frozen prod is
// refused with reason and expiry, goes through for an admin after the freeze-override confirmation
// (audited), rollbacks pass unless the freeze blocks them, /freeze ends by itself, /status shows it.
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { BASE_YAML, createTestBot } from '../helpers/test-bot.ts';

type TB = Awaited<ReturnType<typeof createTestBot>>;
let tb: TB | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

// Friday 2026-12-04 19:00 Asia/Shanghai (11:00Z): inside the configured weekend freeze (Fri 18:00 + 63 h).
const FRIDAY_EVENING = Date.parse('2026-12-04T11:00:00Z');
const HOUR = 3_600_000;

async function setup(now: number, extra = '') {
  let t = now;
  const clock = () => t;
  tb = await createTestBot({
    clock,
    yaml: `${BASE_YAML}deploy: { progressThrottleMs: 0 }
freezes:
  - { product: demo, env: prod, cron: "0 18 * * 5", durationHours: 63, reason: weekend }
  - { product: demo, env: env-1, dates: ["2026-10-01", "2026-10-02"], reason: national holiday, allowRollback: false }
${extra}`,
  });
  const deploys = tb.opsbot.services.get(DEPLOYS)!;
  return { ...tb, deploys, advance: (ms: number) => (t += ms), setNow: (ms: number) => (t = ms) };
}

describe('deploy freezes', () => {
  it('refuses a deploy into a frozen prod with the reason and the expiry, for a deployer and an admin alike', async () => {
    const { say, deploys } = await setup(FRIDAY_EVENING);
    const refused = (await say('/deploy demo v1.1.0 prod', { from: 'alice' })).join('\n');
    expect(refused).toContain('Refused deploy');
    expect(refused).toContain('weekend');
    // 18:00 Friday + 63 h = Monday 09:00 Asia/Shanghai
    expect(refused).toContain('2026-12-07 09:00');
    expect(refused).toContain('--override-freeze');
    expect((await say('/deploy demo v1.1.0 prod --override-freeze', { from: 'alice' })).join('\n')).toContain('Only an admin');
    expect((await say('/deploy demo v1.1.0 prod', { from: 'root' })).join('\n')).toContain('Refused deploy');
    expect(await deploys.list()).toHaveLength(0);
    // env-1 is not frozen on a Friday in December
    await say('/deploy demo v1.0.0 env-1', { from: 'alice' });
    await deploys.idle();
    expect(await deploys.list()).toHaveLength(1);
  });

  it('lets an admin through after a confirmation that says it is a freeze override, and audits it', async () => {
    const { say, deploys, store } = await setup(FRIDAY_EVENING);
    const ask = (await say('/deploy demo v1.1.0 prod --override-freeze', { from: 'root' })).join('\n');
    expect(ask).toContain('Freeze override');
    expect(ask).toContain('/deploy demo v1.1.0 prod --override-freeze');
    const id = /\/confirm ([\w-]+)/.exec(ask)?.[1];
    expect(id).toBeDefined();
    expect(await deploys.list()).toHaveLength(0);
    await say(`/confirm ${id}`, { from: 'root' });
    await deploys.idle();
    expect((await deploys.list())[0]?.state).toBe('succeeded');
    const audit = await store.listAudit({ limit: 20 });
    const line = audit.find((a) => a.detail?.startsWith('freeze override'));
    expect(line).toMatchObject({ actor: 'root', command: '/deploy demo v1.1.0 prod --override-freeze' });
    expect(line?.detail).toContain('weekend');
  });

  it('allows a rollback during the freeze by default and blocks it where the window says so', async () => {
    const { say, deploys, setNow } = await setup(Date.parse('2026-09-20T02:00:00Z'));
    await say('/deploy demo v1.0.0 env-1', { from: 'alice' });
    await deploys.idle();
    await say('/deploy demo v1.1.0 env-1', { from: 'alice' });
    await deploys.idle();
    // 2026-10-01 10:00 Asia/Shanghai: a listed holiday, rollbacks blocked too
    setNow(Date.parse('2026-10-01T02:00:00Z'));
    const refused = (await say('/rollback demo env-1', { from: 'alice' })).join('\n');
    expect(refused).toContain('Refused rollback');
    // the two dates read as one window ending 2026-10-03 00:00 local
    expect(refused).toContain('2026-10-03 00:00');
    setNow(Date.parse('2026-10-02T17:00:00Z')); // 10-03 01:00 local: the holiday is over
    await say('/rollback demo env-1', { from: 'alice' });
    await deploys.idle();
    expect((await deploys.list()).filter((t) => t.kind === 'rollback')).toHaveLength(1);
  });

  it('rollback into the weekend-frozen prod goes through (allowed by default)', async () => {
    const { say, deploys, setNow } = await setup(Date.parse('2026-12-01T02:00:00Z'));
    for (const r of ['v1.0.0', 'v1.1.0']) {
      const id = /\/confirm ([\w-]+)/.exec((await say(`/deploy demo ${r} prod`, { from: 'alice' })).join('\n'))?.[1];
      await say(`/confirm ${id}`, { from: 'alice' });
      await deploys.idle();
    }
    setNow(FRIDAY_EVENING);
    const ask = (await say('/rollback demo prod', { from: 'alice' })).join('\n');
    expect(ask).not.toContain('Refused');
    expect(ask).toContain('/confirm'); // the protected-env confirmation, as always
  });

  it('/freeze stores who froze it, shows in /status, ends by itself; /unfreeze lifts it', async () => {
    const { say, deploys, advance } = await setup(Date.parse('2026-12-01T02:00:00Z'));
    expect((await say('/freeze demo env-1 2h db migration', { from: 'alice' })).join('\n')).toMatch(/Frozen: demo env-1[\s\S]*2026-12-01 12:00/);
    const refused = (await say('/deploy demo v1.0.0 env-1', { from: 'alice' })).join('\n');
    expect(refused).toContain('frozen by Alice');
    expect(refused).toContain('db migration');
    expect((await say('/status demo')).join('\n')).toMatch(/Frozen[\s\S]*demo env-1\*\*: db migration · Alice/);
    advance(2 * HOUR);
    await say('/deploy demo v1.0.0 env-1', { from: 'alice' });
    await deploys.idle();
    expect(await deploys.list()).toHaveLength(1);
    expect((await say('/status demo')).join('\n')).not.toContain('Frozen');

    await say('/freeze demo 1d release week', { from: 'alice' });
    expect((await say('/deploy demo v1.1.0 env-1', { from: 'alice' })).join('\n')).toContain('release week');
    expect((await say('/unfreeze demo', { from: 'alice' })).join('\n')).toContain('Unfrozen: demo');
    await say('/deploy demo v1.1.0 env-1', { from: 'alice' });
    await deploys.idle();
    expect(await deploys.list()).toHaveLength(2);
  });

  it('answers usage problems and refuses viewers', async () => {
    const { say } = await setup(Date.parse('2026-12-01T02:00:00Z'));
    expect((await say('/freeze demo prod soon reason', { from: 'alice' })).join('\n')).toContain('Duration soon is not valid');
    expect((await say('/freeze demo prod 2h', { from: 'alice' })).join('\n')).toContain('Give a reason');
    expect((await say('/freeze demo nope 2h x', { from: 'alice' })).join('\n')).toContain('Valid');
    expect((await say('/freeze demo prod 2h x', { from: 'bob' })).join('\n')).toMatch(/denied|not allowed|permission/i);
    expect((await say('/unfreeze demo prod', { from: 'alice' })).join('\n')).toContain('no freeze set');
  });
});
