// The weekly digest (src/metrics/digest.ts): the local day/hour rule in a time zone, the config's
// default (off), and the periodic job on the bot's timers sending one card per team chat after the
// scripted week (week.ts), at Monday 09:00 Asia/Shanghai.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { TIMERS_COLLECTION, type StoredTimer } from '../../src/core/timers.ts';
import { isDigestHour, localDayHour } from '../../src/metrics/digest.ts';
import { createTestBot } from '../helpers/test-bot.ts';
import { day, fakeClock, runWeek, W, WEEK_YAML } from './week.ts';

const done = new Set<string>();
let tb: Awaited<ReturnType<typeof createTestBot>> | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

/** Resolves once `check` holds, polling the capture adapter (the timers loop runs on real time, 1 s). */
async function until(check: () => boolean, timeoutMs = 30_000, refresh?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refresh?.();
    if (check()) return;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('digest schedule', () => {
  it('reads the day and hour in the configured time zone, across daylight saving', () => {
    // Mon 2026-11-30 01:00 UTC is Mon 09:00 in Shanghai (UTC+8, no DST).
    expect(localDayHour(Date.UTC(2026, 10, 30, 1), 'Asia/Shanghai')).toEqual({ day: 'mon', hour: 9 });
    const c = { enabled: true, day: 'mon' as const, hour: 9, timezone: 'Europe/Berlin' };
    // Berlin: 09:00 is 08:00 UTC in winter (CET), 07:00 UTC in summer (CEST).
    expect(isDigestHour(Date.UTC(2026, 10, 30, 8), c)).toBe(true);
    expect(isDigestHour(Date.UTC(2026, 5, 1, 7), c)).toBe(true);
    expect(isDigestHour(Date.UTC(2026, 5, 1, 8), c)).toBe(false);
    expect(isDigestHour(Date.UTC(2026, 11, 1, 8), c)).toBe(false); // a Tuesday
  });

  it('is off by default; a bad time zone is a config error', () => {
    expect(loadConfig({ file: 't.yaml', text: 'chat: { console: false }\n', env: {} }).config.metrics.digest).toEqual({ enabled: false, day: 'mon', hour: 9, timezone: 'Asia/Shanghai' });
    expect(() => loadConfig({ file: 't.yaml', text: 'metrics: { digest: { timezone: Mars/Olympus } }\n', env: {} })).toThrow(/time zone/);
  });
});

describe('weekly digest job', () => {
  it('sends each team chat one digest card at the configured local hour', { timeout: 90_000 }, async () => {
    const clock = fakeClock(W - 4 * 86_400_000);
    tb = await createTestBot({ yaml: `${WEEK_YAML}metrics: { digest: { enabled: true, day: mon, hour: 9, timezone: Asia/Shanghai } }\n`, clock: clock.now });
    await runWeek(tb, clock);
    const digests = () => tb!.adapter.sent.filter((m) => m.cardKey?.startsWith('metrics:digest:'));
    expect(digests()).toHaveLength(0);
    // Mon 2026-11-30 09:00:05 in Shanghai: the hourly slot that is the digest hour comes due.
    clock.set(day(7, 1) + 5_000);
    await until(() => digests().length > 0);
    const [card] = digests();
    expect(card!.to).toBe('test:team');
    const text = card!.reply.kind === 'card' ? card!.reply.card : undefined;
    const body = JSON.stringify(text);
    expect(body).toContain('payments weekly digest (2026-11-23');
    // Deploys #2 #3 #6 #7, failure #5, rollback #4; alerts opened in the week: B (error), A (warning), C (fatal → critical).
    expect(text!.blocks[0]).toEqual({
      kind: 'fields',
      fields: [
        { label: 'Deploys', value: '4' },
        { label: 'Failures', value: '1' },
        { label: 'Rollbacks', value: '1' },
        { label: 'Alerts by severity', value: 'critical 1 · error 1 · warning 1' },
        { label: 'Time to acknowledge (median)', value: 'no data' },
      ],
    });
    expect(body).toContain('demo: Timeout calling payments (40 events, warning)');

    // The next hourly slot runs (its timer is done) and sends nothing: still one card.
    clock.set(day(7, 2) + 5_000);
    const timers = tb.store.collection<StoredTimer>(TIMERS_COLLECTION, { tier: 'hot' });
    const key = `every:metrics:digest:${day(7, 2) / 3_600_000}`;
    await until(() => done.has(key), 30_000, async () => {
      if ((await timers.get(key))?.state === 'done') done.add(key);
    });
    expect(digests()).toHaveLength(1);
  });
});
