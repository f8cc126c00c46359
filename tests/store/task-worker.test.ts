/**
 * The task worker's scheduling, against a fake queue (no database): wake() starts one napping slot and
 * never the reaper, and `limit` keeps slots above it from claiming (busy ingest on this replica).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Claimed, PgTaskQueue } from '../../src/store/postgres/task-queue.ts';
import { startTaskWorker } from '../../src/store/postgres/task-worker.ts';

function fakeQueue(tasks: number) {
  let next = 0;
  const calls = { claims: 0, reaps: 0, completes: 0 };
  const queue = {
    leaseMs: 30_000,
    claim: async () => {
      calls.claims++;
      if (next >= tasks) return undefined;
      next++;
      return { id: String(next), kind: 'k', attempts: 1, leaseOwner: 'me' } as Claimed;
    },
    reap: async () => {
      calls.reaps++;
      return { requeued: [], interrupted: [] };
    },
    complete: async () => {
      calls.completes++;
      return true;
    },
    heartbeat: async () => true,
    fail: async () => true,
    giveBack: async () => true,
    add: (n: number) => void (tasks += n),
  };
  return { queue, calls };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('task worker', () => {
  it('wake() claims with one slot and leaves the reaper on its own clock', async () => {
    const { queue, calls } = fakeQueue(0);
    const w = startTaskWorker({ queue: queue as unknown as PgTaskQueue, concurrency: 4, pollMs: 60_000, reapMs: 60_000, handle: async () => {}, log: pino({ level: 'silent' }) });
    await tick(20);
    expect(calls).toMatchObject({ claims: 4, reaps: 1 }); // each slot's first look, the reaper's first run
    for (let i = 0; i < 10; i++) {
      queue.add(1);
      w.wake();
      await tick(5);
    }
    expect(calls.completes).toBe(10);
    // One claim that found the task and one that found the queue empty per wake; no reaper runs.
    expect(calls.claims).toBe(4 + 20);
    expect(calls.reaps).toBe(1);
    await w.stop();
  });

  it('slots at or above limit() do not claim; they start once it rises', async () => {
    const { queue } = fakeQueue(40);
    let limit = 1;
    let running = 0;
    let most = 0;
    const w = startTaskWorker({
      queue: queue as unknown as PgTaskQueue,
      concurrency: 4,
      pollMs: 1000,
      limit: () => limit,
      handle: async () => {
        most = Math.max(most, ++running);
        await tick(10);
        running--;
      },
      log: pino({ level: 'silent' }),
    });
    await tick(120);
    expect(most).toBe(1);
    limit = 4;
    await tick(300);
    expect(most).toBe(4);
    await w.stop();
  });
});
