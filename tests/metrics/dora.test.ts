// The four measures (src/metrics/dora.ts) on hand-made histories, with the edge cases:
// no deploys, a rollback of a rollback, an alert before any deploy.
import { beforeEach, describe, expect, it } from 'vitest';
import { dora, median, periodsOf, DAY_MS } from '../../src/metrics/dora.ts';
import { alert, at, H, history, resetIds, T0, task } from './history-fixtures.ts';

const week = { from: T0, to: T0 + 7 * DAY_MS };
const opts = { failureWindowMs: 24 * H };
beforeEach(resetIds);

describe('dora', () => {
  it('no deploys: zero deployments and no ratio, lead time or restore time', () => {
    const f = dora(history({}), week, opts);
    expect(f).toMatchObject({ deployments: 0, changes: 0, failedChanges: 0, restored: 0, stillOpen: 0, rollbacks: 0 });
    expect(f.changeFailureRate).toBeUndefined();
    expect(f.leadTimeMs).toBeUndefined();
    expect(f.timeToRestoreMs).toBeUndefined();
  });

  it('counts successful deploys per day and a failed deploy as a failed change', () => {
    const h = history({ deploys: [task({ release: 'v1', hours: 1 }), task({ release: 'v2', hours: 30 }), task({ release: 'v3', hours: 60, state: 'failed' }), task({ release: 'v3', hours: 61 })] });
    const f = dora(h, week, opts);
    expect(f.deployments).toBe(3);
    expect(f.deploymentsPerDay).toBeCloseTo(3 / 7);
    expect(f.changes).toBe(4);
    expect(f.failedChanges).toBe(1);
    expect(f.changeFailureRate).toBe(0.25);
    // The failure is restored by the next success on the environment an hour later.
    expect(f.timeToRestoreMs).toBe(H);
  });

  it('a rollback within the window fails the change it reverts; the earlier one stays good', () => {
    const h = history({ deploys: [task({ release: 'v1', hours: 1 }), task({ release: 'v2', hours: 10 }), task({ release: 'v1', kind: 'rollback', hours: 12 })] });
    const f = dora(h, week, opts);
    expect(f.changes).toBe(2);
    expect(f.failures).toEqual([expect.objectContaining({ release: 'v2', cause: 'rolledBack' })]);
    expect(f.changeFailureRate).toBe(0.5);
    expect(f.rollbacks).toBe(1);
  });

  it('a rollback of a rollback blames no second change', () => {
    const h = history({
      deploys: [
        task({ release: 'v1', hours: 1 }),
        task({ release: 'v2', hours: 10 }),
        task({ release: 'v1', kind: 'rollback', hours: 12 }),
        task({ release: 'v2', kind: 'rollback', hours: 13 }),
      ],
    });
    const f = dora(h, week, opts);
    expect(f.failures.map((x) => x.release)).toEqual(['v2']);
    expect(f.changeFailureRate).toBe(0.5);
    expect(f.rollbacks).toBe(2);
  });

  it('a rollback after the window, or on another environment, does not count', () => {
    const h = history({ deploys: [task({ release: 'v2', hours: 1 }), task({ release: 'v9', env: 'prod', hours: 2 }), task({ release: 'v1', kind: 'rollback', env: 'prod', hours: 3 }), task({ release: 'v1', kind: 'rollback', hours: 30 })] });
    const f = dora(h, week, opts);
    expect(f.failures).toEqual([expect.objectContaining({ release: 'v9', env: 'prod', cause: 'rolledBack' })]);
  });

  it('a failed deploy of the same release later fails the earlier change too', () => {
    const h = history({ deploys: [task({ release: 'v2', hours: 1 }), task({ release: 'v2', env: 'prod', hours: 5, state: 'failed' })] });
    const f = dora(h, week, opts);
    expect(f.failures.map((x) => [x.env, x.cause])).toEqual([['env-1', 'sameReleaseFailed'], ['prod', 'failed']]);
    expect(f.changeFailureRate).toBe(1);
    expect(dora(h, week, opts, 'env-1').changeFailureRate).toBe(1);
  });

  it('an alert before any deploy is an incident but fails no change', () => {
    const h = history({ deploys: [task({ release: 'v1', hours: 10 })], alerts: [alert({ key: 'a', opened: 1, resolved: 3 })] });
    const f = dora(h, week, opts);
    expect(f.failedChanges).toBe(0);
    expect(f.changeFailureRate).toBe(0);
    expect(f.timeToRestoreMs).toBe(2 * H);
    expect(f.restored).toBe(1);
  });

  it('an alert after a deploy links to the last success, its release and environment permitting', () => {
    const deploys = [task({ release: 'v1', hours: 1 }), task({ release: 'v2', env: 'prod', hours: 2 })];
    // No env: the product's last success anywhere (prod v2).
    expect(dora(history({ deploys, alerts: [alert({ key: 'a', opened: 4 })] }), week, opts).failures).toEqual([expect.objectContaining({ env: 'prod', cause: 'alert' })]);
    // Naming env-1: env-1's last success.
    expect(dora(history({ deploys, alerts: [alert({ key: 'a', opened: 4, env: 'env-1' })] }), week, opts).failures).toEqual([expect.objectContaining({ env: 'env-1', release: 'v1' })]);
    // Another release, or outside the window: nothing.
    expect(dora(history({ deploys, alerts: [alert({ key: 'a', opened: 4, release: 'v0' })] }), week, opts).failedChanges).toBe(0);
    expect(dora(history({ deploys, alerts: [alert({ key: 'a', opened: 40 })] }), week, opts).failedChanges).toBe(0);
    // An environment name we do not know (Sentry's `production`) falls back to the product.
    expect(dora(history({ deploys, alerts: [alert({ key: 'a', opened: 4, env: 'production' })] }), week, opts).failures).toEqual([expect.objectContaining({ env: 'prod' })]);
  });

  it('lead time: change time to the first successful deploy of the release per environment, the median', () => {
    const h = history({
      deploys: [
        task({ release: 'v1', hours: 2 }),
        task({ release: 'v1', env: 'prod', hours: 6 }),
        task({ release: 'v1', hours: 20 }), // a re-deploy: not a new change's lead time
        task({ release: 'v2', hours: 30 }), // no change time known
      ],
      changes: [{ product: 'demo', release: 'v1', at: at(0) }],
    });
    expect(dora(h, week, opts).leadTimeMs).toBe(4 * H); // median of 2 h and 6 h
    expect(dora(h, week, opts, 'prod').leadTimeMs).toBe(6 * H);
  });

  it('time to restore: a failing streak is one incident; open ones are counted apart', () => {
    const h = history({
      deploys: [task({ release: 'v1', hours: 1, state: 'failed' }), task({ release: 'v1', hours: 2, state: 'failed' }), task({ release: 'v1', hours: 4 }), task({ release: 'v2', env: 'prod', hours: 5, state: 'failed' })],
      alerts: [alert({ key: 'a', opened: 10, resolved: 11 }), alert({ key: 'b', opened: 12 })],
    });
    const f = dora(h, week, opts);
    expect(f.restored).toBe(2); // streak 1 h → 4 h (3 h), alert a (1 h)
    expect(f.stillOpen).toBe(2); // prod's failure, alert b
    expect(f.timeToRestoreMs).toBe(2 * H);
  });

  it('only what finished in the period counts; the previous period is the one before', () => {
    const { current, previous } = periodsOf(7, T0 + 10 * DAY_MS); // [day 3, day 10) and [day -4, day 3)
    const h = history({ deploys: [task({ release: 'v0', hours: 24 * 2 }), task({ release: 'v1', hours: 24 * 8 }), task({ release: 'v2', hours: 24 * 9, state: 'failed' }), task({ release: 'v3', hours: 24 * 11 })] });
    expect(dora(h, current, opts)).toMatchObject({ deployments: 1, changes: 2, failedChanges: 1 });
    expect(dora(h, previous, opts)).toMatchObject({ deployments: 1, changes: 1, failedChanges: 0 });
    // The failing streak that began on day 9 was restored on day 11 (after the period): still a restore of this period.
    expect(dora(h, current, opts).timeToRestoreMs).toBe(2 * DAY_MS);
  });

  it('cancelled and interrupted tasks are not changes', () => {
    const h = history({ deploys: [task({ release: 'v1', hours: 1, state: 'cancelled' }), task({ release: 'v1', hours: 2, state: 'interrupted' })] });
    expect(dora(h, week, opts).changes).toBe(0);
  });

  it('median', () => {
    expect(median([])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
