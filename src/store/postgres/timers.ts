/**
 * Timers across replicas on the task queue (docs/scale-out.md §0 flow 3, §3.4): a timer is a
 * `task_queue` row of kind `timer:<kind>` with `dedupe_key` = the timer key and `run_at` = now() +
 * (at − this replica's clock). Every replica runs a worker over the kinds it has handlers for; the
 * SKIP LOCKED claim hands each due timer to exactly one of them. A throwing handler fails the attempt
 * and the queue requeues it with backoff (2^attempts s) until `maxAttempts`, then leaves it `failed`.
 * `cancel(key)` = `UPDATE … SET state='cancelled' WHERE dedupe_key=… AND state='queued'`; a timer
 * already running is not stopped, which is why handlers re-check their own state.
 * No schema change: `task_queue` (migration 0002) has everything.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { TimerHandler, Timers, TimerSpec } from '../../core/timers.ts';
import { newWorkerId, PgTaskQueue } from './task-queue.ts';
import { startTaskWorker, type TaskWorker } from './task-worker.ts';

export interface PgTimersOptions {
  pool: pg.Pool;
  log: Logger;
  /** This replica's worker id (default host:pid:random). */
  owner?: string;
  /** Idle poll interval (default 1000 ms): the timer precision (§3.4). */
  pollMs?: number;
  leaseMs?: number;
  /** Attempts per timer before it is given up (default 5). */
  maxAttempts?: number;
  /** Reaper interval (default 5000 ms). */
  reapMs?: number;
}

const TASK_KIND_PREFIX = 'timer:';

/** PostgreSQL Timers: see the module comment. */
export class PgTimers implements Timers {
  readonly queue: PgTaskQueue;
  private readonly handlers = new Map<string, TimerHandler>();
  /** Task kinds this replica claims; the worker reads this array on every claim, so `on()` after start works. */
  private readonly kinds: string[] = [];
  private worker: TaskWorker | undefined;

  constructor(private readonly opts: PgTimersOptions) {
    const owner = opts.owner ?? newWorkerId();
    this.queue = new PgTaskQueue(opts.pool, owner, opts.leaseMs ?? 30_000);
  }

  on(kind: string, handler: TimerHandler): void {
    this.handlers.set(kind, handler);
    if (!this.kinds.includes(TASK_KIND_PREFIX + kind)) this.kinds.push(TASK_KIND_PREFIX + kind);
  }

  async schedule(t: TimerSpec): Promise<void> {
    const delayMs = Math.max(0, t.at - Date.now());
    const r = await this.queue.enqueue({
      kind: TASK_KIND_PREFIX + t.kind,
      dedupeKey: t.key,
      delayMs,
      payload: t.payload ?? null,
      maxAttempts: this.opts.maxAttempts ?? 5,
    });
    if (r.created && delayMs === 0) this.worker?.wake();
  }

  async cancel(key: string): Promise<void> {
    await this.queue.cancel(key);
  }

  async start(): Promise<void> {
    if (this.worker) return;
    const { log } = this.opts;
    this.worker = startTaskWorker({
      queue: this.queue,
      kinds: this.kinds,
      concurrency: 2,
      pollMs: this.opts.pollMs ?? 1000,
      reapMs: this.opts.reapMs ?? 5000,
      log,
      handle: async (task) => {
        const kind = task.kind.slice(TASK_KIND_PREFIX.length);
        const handler = this.handlers.get(kind);
        if (!handler) throw new Error(`no handler for timer kind ${kind}`);
        await handler(task.payload, task.dedupeKey ?? '');
      },
      onInterrupted: (task) => void log.error({ key: task.dedupeKey, kind: task.kind }, 'timers: timer given up (its worker died on the last attempt)'),
    });
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.stop();
  }
}
