/**
 * The scripted week (its "Done when"), shared by the /stats test and the Prometheus end-to-end
 * test: real deploys through the bot (the command engine runs `sh`; release v1.2.0 fails by design) on a
 * fake clock, alerts in Sentry's alert collection (what the Sentry feature stores: src/sources/sentry/state.ts),
 * and a tag time for v1.3.0 (what the metrics feature records from `gitlab.tag.created`).
 *
 * Week W = Mon 2026-11-23 00:00 UTC … Mon 2026-11-30 00:00 UTC ("now" at the end):
 *   W-3d 10:00  #1 deploy v1.0.0 → prod      ok          (previous period)
 *   D0 08:00    alert B opened (before any deploy this week), resolved 08:30
 *   D0 10:00    #2 deploy v1.0.0 → env-1     ok
 *   D1 10:00    #3 deploy v1.1.0 → env-1     ok, then rolled back
 *   D1 11:00    #4 rollback env-1 → v1.0.0   ok
 *   D2 10:00    #5 deploy v1.2.0 → env-1     failed
 *   D2 11:00    tag v1.3.0
 *   D2 12:00    #6 deploy v1.3.0 → env-1     ok           (restores env-1: 2 h; lead time 1 h)
 *   D3 10:00    #7 deploy v1.3.0 → prod      ok           (lead time 23 h)
 *   D5 09:00    alert A opened (47 h after the last deploy: outside the 24 h window), resolved 10:30
 *   D6 12:00    alert C opened, still open
 * By hand, for the week: 4 deploys (4/7 = 0.57 a day); changes #2 #3 #5 #6 #7 = 5, failed #3 (rolled
 * back) and #5 (failed) → 40 %; lead time median(1 h, 23 h) = 12 h; restores 2 h, 30 m, 1 h 30 m →
 * median 1 h 30 m, one still open. env-1 alone: 2 of 4 → 50 %. Previous week: 1 deploy, 0 %.
 */
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { recordChangeTime } from '../../src/metrics/history.ts';
import { alertCollection, type AlertState } from '../../src/sources/sentry/state.ts';
import type { Opsbot } from '../../src/app.ts';
import type { Store } from '../../src/store/types.ts';

export const W = Date.UTC(2026, 10, 23);
const HOUR = 3_600_000;
export const day = (d: number, hour: number, minute = 0): number => W + d * 24 * HOUR + hour * HOUR + minute * 60_000;

export const WEEK_YAML = `
locale: en
chat: { console: false }
people:
  alice: { name: Alice, roles: [deployer] }
teams:
  payments: { members: [alice], chats: ["test:team"] }
products:
  demo:
    team: payments
    owners: [alice]
    components: [app]
    releases:
      v1.0.0: { app: v1.0.0 }
      v1.1.0: { app: v1.1.0 }
      v1.2.0: { app: v1.2.0 }
      v1.3.0: { app: v1.3.0 }
    environments:
      env-1: { engine: { type: command, run: ["sh", "-c", "[ \\"$OPSBOT_RELEASE\\" != v1.2.0 ]"] } }
      prod: { engine: { type: command, run: ["sh", "-c", "[ \\"$OPSBOT_RELEASE\\" != v1.2.0 ]"] } }
`;

/** A fake clock the week moves forward. */
export function fakeClock(start: number) {
  let now = start;
  return { now: () => now, set: (t: number) => void (now = t) };
}

function sentryAlert(key: string, title: string, opened: number, o: { resolved?: number; count: number; level: string }): AlertState {
  return {
    key, kind: 'issue', title, count: o.count, level: o.level, status: o.resolved === undefined ? 'open' : 'resolved',
    project: 'demo-web', environment: 'production', firstSeen: new Date(opened).toISOString(), product: 'demo',
    paging: false, chats: ['test:team'], owners: [], history: [], posted: { 'test:team': opened }, escalations: 0,
    updatedAt: o.resolved ?? opened,
  };
}

/** Runs the week on `tb` (a bot made with WEEK_YAML and `clock.now`, and its store). */
export async function runWeek(tb: { opsbot: Opsbot; store: Store }, clock: ReturnType<typeof fakeClock>): Promise<void> {
  const deploys = tb.opsbot.services.get(DEPLOYS)!;
  let n = 0;
  const act = async (at: number, text: string) => {
    clock.set(at);
    await tb.opsbot.bot.handleMessage(CaptureAdapter.message(text, { id: `week-${++n}` }));
    await tb.opsbot.bot.idle();
    await deploys.idle();
  };
  const alerts = alertCollection(tb.store);
  await act(day(-3, 10), '/deploy demo v1.0.0 prod');
  await alerts.put('B', sentryAlert('B', 'TypeError: x is undefined', day(0, 8), { resolved: day(0, 8, 30), count: 3, level: 'error' }));
  await act(day(0, 10), '/deploy demo v1.0.0 env-1');
  await act(day(1, 10), '/deploy demo v1.1.0 env-1');
  await act(day(1, 11), '/rollback demo env-1');
  await act(day(2, 10), '/deploy demo v1.2.0 env-1');
  await recordChangeTime(tb.store, { product: 'demo', release: 'v1.3.0', at: day(2, 11) });
  await act(day(2, 12), '/deploy demo v1.3.0 env-1');
  await act(day(3, 10), '/deploy demo v1.3.0 prod');
  await alerts.put('A', sentryAlert('A', 'Timeout calling payments', day(5, 9), { resolved: day(5, 10, 30), count: 40, level: 'warning' }));
  await alerts.put('C', sentryAlert('C', 'DB connection refused', day(6, 12), { count: 7, level: 'fatal' }));
  clock.set(day(7, 0));
}
