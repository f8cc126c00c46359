/**
 * Where deploy tasks wait when several replicas share one database (issue 9 §3). Without a queue the
 * runner schedules in process (tasks.ts pickRunnable); with one, the queue decides what may start,
 * on whichever replica claims it: one running task per product+environment enforced by the database,
 * tasks of one product+environment in order, no head-of-line blocking across them, and a task whose
 * replica died announced as interrupted, never silently re-run (src/store/postgres/deploy-queue.ts).
 */
import type { DeployTask } from './tasks.ts';

export interface DeployQueueHandlers {
  /**
   * Runs a claimed task to its end on this replica. Resolving completes the claim; throwing hands the
   * task back to the queue (a GitLab pipeline detached at shutdown is re-attached by another replica).
   * `signal` aborts when the claim is lost or the replica stops. Throw `NotStarted` to hand the
   * claim back untouched (this replica is stopping and did not start the task).
   */
  run(taskId: string, signal: AbortSignal): Promise<void>;
  /** The replica running the task died (its lease expired with no attempt left). */
  interrupted(taskId: string): Promise<void>;
}

/** See DeployQueueHandlers.run. */
export class NotStarted extends Error {
  constructor() {
    super('not started: this replica is stopping');
    this.name = 'NotStarted';
  }
}

export interface DeployQueue {
  /** A new waiting task. `held` while it waits for its approval: it keeps its place and its lane. */
  submit(task: DeployTask, held: boolean): Promise<void>;
  /** The held task was approved: it may start when its turn comes. */
  release(taskId: string): Promise<void>;
  /** The waiting task was cancelled: drop it from the queue. */
  withdraw(taskId: string): Promise<void>;
  /** Start claiming tasks on this replica. */
  start(handlers: DeployQueueHandlers): void;
  /** Claim now rather than at the next poll. */
  wake(): void;
  /** Stop claiming (shutdown, before the running tasks are dealt with). */
  pause(): void;
  /**
   * Of these tasks (waiting or running in the store), the ones whose queue row has ended although the
   * task has not (a replica died before announcing it). The runner announces them.
   */
  abandoned(taskIds: string[]): Promise<string[]>;
  stop(): Promise<void>;
}

/** The lane key shared by every replica: at most one running task per key. */
export const lockKeyOf = (t: Pick<DeployTask, 'product' | 'env'>): string => `deploy:${t.product}:${t.env}`;
