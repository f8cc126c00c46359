// Periodic jobs on the Timers seam (issue 9 §3 "Cron"): one run per slot, the next slot armed after
// each run (also after a failing one), and arming twice (two replicas, or a restart) changes nothing.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { every } from '../../src/core/periodic.ts';
import { StoreTimers } from '../../src/core/timers.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

describe('every()', () => {
  it('runs once per slot and re-arms itself, even when the job throws', async () => {
    const now = { t: 1_000_000 };
    const timers = new StoreTimers({ store: new MemoryStore(), log: pino({ level: 'silent' }), clock: () => now.t, pollMs: 0, retryDelaysMs: [] });
    const runs: number[] = [];
    const job = every(timers, 'sweep', 60_000, async () => {
      runs.push(now.t);
      if (runs.length === 2) throw new Error('boom');
    }, () => now.t);
    await job.arm();
    await job.arm(); // a second replica / a restart arms the same slot: still one timer
    await timers.runDue();
    expect(runs).toEqual([]);
    now.t = 1_020_000; // the first slot boundary (1 020 000 = 17 × 60 000)
    await timers.runDue();
    now.t = 1_080_000;
    await timers.runDue(); // throws; the next slot is armed anyway
    now.t = 1_140_000;
    await timers.runDue();
    await timers.runDue();
    expect(runs).toEqual([1_020_000, 1_080_000, 1_140_000]);
  });
});
