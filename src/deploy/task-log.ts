/**
 * A deploy task's log writer: lines are buffered briefly and written in batches (a chatty script must
 * not cost one store write per line), chained per task so they stay in order, and capped per task.
 * With `redact`, every line is redacted before it is stored (core/redact.ts).
 */
import type { Logger } from 'pino';
import type { Store } from '../store/types.ts';

/** Log lines kept per task; beyond that only a truncation marker. */
const MAX_LOG_LINES = 50_000;
/** How long log lines are gathered before one store write. */
const LOG_BATCH_MS = 50;

export class TaskLogWriter {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly buffers = new Map<string, string[]>();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: { redact?: (line: string) => string } = {},
  ) {}

  /** Queue lines for the task's log; resolves when they are stored. */
  append(taskId: string, given: string[]): Promise<void> {
    // Task logs are shown in cards and /task: a script that prints a token must not publish it (item 3).
    const redact = this.options.redact;
    const lines = redact ? given.map(redact) : given;
    const count = (this.counts.get(taskId) ?? 0) + lines.length;
    this.counts.set(taskId, count);
    const over = count - MAX_LOG_LINES;
    if (over >= lines.length) return this.chains.get(taskId) ?? Promise.resolve();
    const keep = over > 0 ? [...lines.slice(0, lines.length - over), '… (log truncated)'] : lines;
    const buf = this.buffers.get(taskId);
    if (buf) {
      buf.push(...keep);
      return this.chains.get(taskId) ?? Promise.resolve();
    }
    this.buffers.set(taskId, [...keep]);
    const next = (this.chains.get(taskId) ?? Promise.resolve())
      .then(() => new Promise((r) => setTimeout(r, LOG_BATCH_MS)))
      .then(() => {
        const batch = this.buffers.get(taskId) ?? [];
        this.buffers.delete(taskId);
        return batch.length ? this.store.appendLog(taskId, batch) : undefined;
      })
      .catch((err) => this.log.warn({ err, taskId }, 'deploy: appendLog failed'));
    this.chains.set(taskId, next);
    return next;
  }

  /** Wait until every buffered line of the task is stored. */
  async flush(taskId: string): Promise<void> {
    while (this.chains.has(taskId)) {
      const c = this.chains.get(taskId);
      await c;
      if (this.chains.get(taskId) === c) this.chains.delete(taskId);
    }
  }

  /** The task ended: forget its line count. */
  forget(taskId: string): void {
    this.counts.delete(taskId);
  }

  async flushAll(): Promise<void> {
    for (const id of [...this.chains.keys()]) await this.flush(id);
  }
}
