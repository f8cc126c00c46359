/**
 * Queue mode (several replicas), every few seconds on each replica: a task the store still shows
 * waiting or running whose queue row has ended (its replica died before announcing it, or handed it on
 * with no attempt left) is announced as interrupted; a waiting task missing from the queue is
 * (re)submitted. Without this such a task would show `running` forever and `/cancel` could not end it.
 */
import type { DeployQueue } from './queue.ts';
import { awaitingApproval, type TaskRepo } from './tasks.ts';

export interface SweepDeps {
  repo: TaskRepo;
  queue: DeployQueue;
  clock: () => number;
  /** Running on this replica (its state is current; not a candidate). */
  isActive(taskId: string): boolean;
  interrupt(taskId: string, reason: string, line: string): Promise<void>;
}

/** One sweep; tasks younger than `graceMs` are left alone (they may be between store and queue). */
export async function sweepAbandoned(d: SweepDeps, graceMs: number): Promise<void> {
  const now = d.clock();
  const open = (await d.repo.list((t) => t.state === 'waiting' || t.state === 'running')).filter(
    (t) => !d.isActive(t.id) && now - (t.startedAt ?? t.createdAt) > graceMs,
  );
  for (const t of open) if (t.state === 'waiting') await d.queue.submit(t, awaitingApproval(t));
  for (const id of await d.queue.abandoned(open.map((t) => t.id))) {
    const t = open.find((x) => x.id === id)!;
    if (t.state === 'waiting' && t.cancelledBy) await d.interrupt(id, 'cancelled', `cancelled by ${t.cancelledBy}`);
    else await d.interrupt(id, 'replica lost', 'the replica running this task stopped');
  }
}
