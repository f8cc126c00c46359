// Issue 21 "Done when" (chat half): after the scripted week (week.ts, hand-computed figures there),
// `/stats demo 7d` shows the four measures with those values, and the trend against the week before.
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { createTestBot } from '../helpers/test-bot.ts';
import { fakeClock, runWeek, W, WEEK_YAML } from './week.ts';

let tb: Awaited<ReturnType<typeof createTestBot>> | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

describe('/stats after a scripted week', () => {
  it('shows deployment frequency, lead time, change failure rate and time to restore as computed by hand', async () => {
    const clock = fakeClock(W - 4 * 86_400_000);
    tb = await createTestBot({ yaml: WEEK_YAML, clock: clock.now });
    await runWeek(tb, clock);
    const tasks = await tb.opsbot.services.get(DEPLOYS)!.list();
    expect(tasks.map((t) => `${t.id} ${t.kind} ${t.state}`).sort()).toEqual([
      '1 deploy succeeded', '2 deploy succeeded', '3 deploy succeeded', '4 rollback succeeded', '5 deploy failed', '6 deploy succeeded', '7 deploy succeeded',
    ]);

    const card = (await tb.say('/stats demo 7d')).join('\n');
    expect(card).toContain('demo delivery metrics (last 7 days)');
    expect(card).toContain('4 deploys (0.57 per day)');
    expect(card).toContain('12h');
    expect(card).toContain('40% (2/5)');
    expect(card).toContain('1h 30m (3 restored, 1 open)');
    // Trend: the week before had one deploy and no failure.
    expect(card).toContain('↑ previous period: 1 deploys (0.14 per day)');
    expect(card).toContain('↑ previous period: 0% (0/1)');
    // Per environment and the worst offenders.
    expect(card).toContain('**env-1**: 3 deploys · failure rate 50%');
    expect(card).toContain('#5 v1.2.0 → env-1: deploy failed');
    expect(card).toContain('#3 v1.1.0 → env-1: rolled back');
    expect(card).toContain('Timeout calling payments (40 events, warning)');

    // The default window is 7 days; 30 days also takes the previous week in.
    expect((await tb.say('/stats demo')).join('\n')).toContain('40% (2/5)');
    expect((await tb.say('/stats demo 30d')).join('\n')).toContain('33.3% (2/6)');
  });

  it('answers with the valid choices for an unknown product or window', async () => {
    tb = await createTestBot({ yaml: WEEK_YAML });
    expect((await tb.say('/stats nope')).join('\n')).toContain('Valid products: demo');
    expect((await tb.say('/stats demo 8d')).join('\n')).toMatch(/7d/);
  });
});
