/**
 * How a deploy task ends, in one place: its log is complete before it shows a final state; success
 * records what now runs where (rollback targets); the card is updated one last time; `deploy.finished`
 * goes on the bus. An interrupted task (restart, shutdown, lost replica) is announced, never re-run.
 */
import type { Logger } from 'pino';
import type { EventBus } from '../core/events.ts';
import type { Store } from '../store/types.ts';
import type { EngineResult } from './engines/types.ts';
import type { ProgressThrottle } from './progress.ts';
import type { ReleaseRegistry } from './releases.ts';
import { TaskLogWriter } from './task-log.ts';
import { isTerminal, type TaskRepo, type TaskState } from './tasks.ts';

export interface OutcomeDeps {
  repo: TaskRepo;
  store: Store;
  releases: ReleaseRegistry;
  progress: ProgressThrottle;
  events: EventBus;
  log: Logger;
  clock: () => number;
  /** Applied to every task log line before it is stored (core/redact.ts `Redactor.text`). */
  redact?: ((line: string) => string) | undefined;
}

export class TaskOutcomes {
  /** Task log lines, batched per task (task-log.ts). */
  readonly logs: TaskLogWriter;

  constructor(private readonly d: OutcomeDeps) {
    this.logs = new TaskLogWriter(d.store, d.log, d.redact ? { redact: d.redact } : {});
  }

  /** The run ended with `r` (a timeout is already turned into `failed`/`timeout` by the runner). */
  async record(id: string, r: EngineResult): Promise<void> {
    const state: TaskState = r.outcome;
    const reason = r.reason;
    // The log is complete before the task shows a final state.
    await this.logs.flush(id);
    this.logs.forget(id);
    const now = this.d.clock();
    const t = await this.d.repo.patch(id, () => ({ state, finishedAt: now, ...(reason ? { reason } : {}) }));
    if (t && state === 'succeeded') {
      await this.d.releases.record(t.product, t.env, {
        release: t.release,
        components: t.components,
        at: now,
        by: t.requestedBy.name,
        taskId: t.id,
        kind: t.kind,
      });
    }
    await this.d.progress.force(id);
    this.d.progress.done(id);
    // Not awaited: listeners (Sentry deploy sync …) must not hold up the next task.
    if (t) void this.d.events.emit({ type: 'deploy.finished', payload: t, occurredAt: now });
    this.d.log.info({ taskId: id, state, reason }, 'deploy: task finished');
  }

  /** Marks a task interrupted (unless it already ended) and shows it; never re-runs it. */
  async interrupt(taskId: string, reason: string, line: string): Promise<void> {
    const now = this.d.clock();
    const before = await this.d.repo.get(taskId);
    if (!before || isTerminal(before.state)) return;
    // The log is complete before the task shows its final state (as in finish()).
    await this.logs.append(taskId, [`${new Date(now).toISOString()} interrupted: ${line}`]);
    await this.logs.flush(taskId);
    const t = await this.d.repo.patch(taskId, (cur) => (isTerminal(cur.state) ? {} : { state: 'interrupted', reason, finishedAt: now }));
    if (!t || t.finishedAt !== now) return;
    await this.d.progress.force(taskId);
    this.d.progress.done(taskId);
    void this.d.events.emit({ type: 'deploy.finished', payload: t, occurredAt: now });
    this.d.log.warn({ taskId, reason }, 'deploy: task interrupted');
  }
}
