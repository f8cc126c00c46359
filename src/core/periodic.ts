/**
 * Periodic jobs on the Timers seam (issue 9 §3; scale-out.md §0 flow 3 "Cron"): every slot of the
 * schedule is one timer with the key `every:<name>:<slot>`. Every replica arms the next slot at start
 * and after each run; scheduling is idempotent on the key, so across replicas there is one timer per
 * slot and the claim runs it on exactly one of them (PgTimers), or once here (StoreTimers).
 */
import type { Timers } from './timers.ts';

export interface PeriodicJob {
  /** Arms the next slot (idempotent; call at start on every replica). */
  arm(): Promise<void>;
}

/** Registers `job` to run once per `intervalMs` slot (slot boundaries are multiples of the interval). */
export function every(timers: Timers, name: string, intervalMs: number, job: () => Promise<void>, clock: () => number = Date.now): PeriodicJob {
  const kind = `every:${name}`;
  const armAfter = async (slot: number) => {
    // Never arm a slot at or before the one that just ran: a replica whose clock is a little behind
    // would otherwise re-arm the same (already used) key and the chain would stop.
    const next = Math.max(slot + 1, Math.floor(clock() / intervalMs) + 1);
    await timers.schedule({ kind, key: `${kind}:${next}`, at: next * intervalMs });
  };
  const arm = () => armAfter(Math.floor(clock() / intervalMs));
  timers.on(kind, async (_payload, key) => {
    const slot = Number(key.slice(kind.length + 1));
    try {
      await job();
    } finally {
      // Armed even when the job failed (the timer retries this slot; the next slot must exist regardless).
      await armAfter(Number.isFinite(slot) ? slot : Math.floor(clock() / intervalMs));
    }
  });
  return { arm };
}
