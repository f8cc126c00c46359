/**
 * Deploy tasks on the PostgreSQL task queue (issue 9 §3; scale-out.md §0 flow 2 and §A.1). The deploy
 * task record (state, log, card) stays in the Store; this queue row decides where and when it runs:
 *
 * - lock key `deploy:<product>:<env>`: the partial unique index allows one running row per key and the
 *   claim takes only the oldest queued row of a key (strict order, no head-of-line blocking);
 * - a task waiting for its approval is queued with `run_at` far in the future: it keeps its place at
 *   the head of its lane (later tasks of that lane wait, as in the embedded scheduler) until released;
 * - command deploys get one attempt: a replica that dies mid-run loses its lease, the reaper fails the
 *   row and `interrupted` announces it (a half-run script is never re-run). GitLab pipelines get three:
 *   the next claim re-attaches to the pipeline that is still running on GitLab.
 */
import type { Logger } from 'pino';
import { lockKeyOf, NotStarted, type DeployQueue, type DeployQueueHandlers } from '../../deploy/queue.ts';
import type { DeployTask } from '../../deploy/tasks.ts';
import type { PostgresStore } from '../postgres-store.ts';
import { newWorkerId, PgTaskQueue } from './task-queue.ts';
import { GiveBack, startTaskWorker, type TaskWorker } from './task-worker.ts';

const KIND = 'deploy';
/** "Not before approval": ~100 years; release() sets run_at to now(). */
const HELD_MS = 100 * 365 * 24 * 3600 * 1000;
const dedupeKeyOf = (taskId: string) => `deploy:${taskId}`;

export interface PgDeployQueueOptions {
  /** Deploys running at once on this replica (deploy.concurrency). */
  concurrency: number;
  /** Lease (storage.leaseSeconds): a dead replica's deploy is announced within about this long. */
  leaseMs: number;
  pollMs?: number;
  /** Whether another replica may pick up this task's run when its replica dies (the engine's `followsExternalRun`). */
  reattachable?(task: DeployTask): boolean;
}

export class PgDeployQueue implements DeployQueue {
  private readonly queue: PgTaskQueue;
  private worker?: TaskWorker;

  constructor(
    store: PostgresStore,
    private readonly log: Logger,
    private readonly options: PgDeployQueueOptions,
  ) {
    this.queue = new PgTaskQueue(store.pool, newWorkerId(), options.leaseMs);
  }

  async submit(task: DeployTask, held: boolean): Promise<void> {
    await this.queue.enqueue({
      kind: KIND,
      payload: { taskId: task.id },
      lockKey: lockKeyOf(task),
      dedupeKey: dedupeKeyOf(task.id),
      // A run another replica can re-attach to gets more claims; a script that died is announced, never re-run.
      maxAttempts: this.options.reattachable?.(task) ? 3 : 1,
      ...(held ? { delayMs: HELD_MS } : {}),
    });
    this.wake();
  }

  async release(taskId: string): Promise<void> {
    await this.queue.release(dedupeKeyOf(taskId));
    this.wake();
  }

  async withdraw(taskId: string): Promise<void> {
    await this.queue.cancel(dedupeKeyOf(taskId));
    this.wake();
  }

  start(handlers: DeployQueueHandlers): void {
    const taskIdOf = (payload: unknown) => String((payload as { taskId?: unknown } | null)?.taskId ?? '');
    this.worker ??= startTaskWorker({
      queue: this.queue,
      kinds: [KIND],
      concurrency: this.options.concurrency,
      pollMs: this.options.pollMs ?? 1000,
      // Check leases a few times per lease: detection = lease + one reap interval.
      reapMs: Math.min(5000, Math.max(200, Math.round(this.options.leaseMs / 3))),
      log: this.log,
      handle: (task, signal) =>
        handlers.run(taskIdOf(task.payload), signal).catch((err: unknown) => {
          throw err instanceof NotStarted ? new GiveBack(err.message) : err;
        }),
      onInterrupted: (row) => handlers.interrupted(taskIdOf(row.payload)),
    });
  }

  wake(): void {
    this.worker?.wake();
  }

  pause(): void {
    this.worker?.pause();
  }

  async abandoned(taskIds: string[]): Promise<string[]> {
    const states = await this.queue.statesByDedupeKey(taskIds.map(dedupeKeyOf));
    return taskIds.filter((id) => {
      const st = states.get(dedupeKeyOf(id));
      return st === 'succeeded' || st === 'failed' || st === 'cancelled';
    });
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
  }
}
