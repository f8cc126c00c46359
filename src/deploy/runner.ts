/**
 * Runs persisted tasks on their engines (issue 4 §3): picks what may start (tasks.ts pickRunnable),
 * enforces the per-environment timeout, cancels, records the outcome and what now runs where, and
 * after a restart re-attaches GitLab pipelines while marking command tasks `interrupted`.
 */
import type { Logger } from 'pino';
import type { EventBus } from '../core/events.ts';
import type { Store } from '../store/types.ts';
import type { DeployConfig } from './config.ts';
import type { Engine, EngineContext, EngineResult, EngineRun } from './engines/types.ts';
import type { DeployModel } from './model.ts';
import type { ProgressThrottle } from './progress.ts';
import type { ReleaseRegistry } from './releases.ts';
import { byId, isTerminal, pickRunnable, type DeployTask, type TaskRepo, type TaskState } from './tasks.ts';

/** Log lines kept per task; beyond that only a truncation marker. */
const MAX_LOG_LINES = 50_000;
/** How long log lines are gathered before one store write. */
const LOG_BATCH_MS = 50;

interface Active {
  run: EngineRun;
  timer?: NodeJS.Timeout;
  timedOut: boolean;
  detached: boolean;
}

export interface RunnerDeps {
  repo: TaskRepo;
  store: Store;
  model: DeployModel;
  releases: ReleaseRegistry;
  engines: Record<DeployTask['engine'], Engine>;
  progress: ProgressThrottle;
  events: EventBus;
  log: Logger;
  clock: () => number;
  config: DeployConfig;
}

export class TaskRunner {
  private readonly active = new Map<string, Active>();
  private readonly logChains = new Map<string, Promise<void>>();
  private readonly logBuffers = new Map<string, string[]>();
  private readonly logCounts = new Map<string, number>();
  private pumping: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly d: RunnerDeps) {}

  get stopping(): boolean {
    return this.stopped;
  }

  /** Start whatever may start now. Serialized: two pumps never race for the same slot. */
  pump(): Promise<void> {
    this.pumping = this.pumping.then(() => this.pumpOnce()).catch((err) => this.d.log.error({ err }, 'deploy: pump failed'));
    return this.pumping;
  }

  private async pumpOnce(): Promise<void> {
    if (this.stopped) return;
    const all = await this.d.repo.list();
    const waiting = all.filter((t) => t.state === 'waiting').sort(byId);
    const running = all.filter((t) => t.state === 'running');
    for (const task of pickRunnable(waiting, running, this.d.config.concurrency)) await this.start(task);
  }

  private async start(task: DeployTask): Promise<void> {
    const now = this.d.clock();
    const t = await this.d.repo.patch(task.id, () => ({ state: 'running', startedAt: now }));
    if (!t) return;
    await this.d.progress.force(t.id);
    let run: EngineRun;
    try {
      // context() throws when the product/environment left the config since the task was queued.
      run = this.d.engines[t.engine].start(this.context(t));
    } catch (err) {
      await this.finish(t.id, { outcome: 'failed', reason: (err as Error).message });
      return;
    }
    this.follow(t, run, this.timeoutMs(t));
  }

  /** Track a started (or re-attached) run until it ends. */
  private follow(task: DeployTask, run: EngineRun, timeoutMs: number): void {
    const a: Active = { run, timedOut: false, detached: false };
    a.timer = setTimeout(() => {
      a.timedOut = true;
      this.appendLog(task.id, [`${new Date(this.d.clock()).toISOString()} timeout after ${Math.round(timeoutMs / 1000)}s: cancelling`]);
      run.cancel();
    }, Math.max(0, timeoutMs));
    a.timer.unref();
    this.active.set(task.id, a);
    run.done.then(
      (r) => this.finish(task.id, r, a),
      (err: Error) => this.finish(task.id, { outcome: 'failed', reason: err.message }, a),
    );
  }

  private context(task: DeployTask): EngineContext {
    return {
      task,
      product: this.d.model.product(task.product),
      environment: this.d.model.environment(task.product, task.env),
      hooks: {
        log: (lines) => {
          this.appendLog(task.id, lines);
          this.d.progress.touch(task.id);
        },
        setRef: async (ref) => {
          await this.d.repo.patch(task.id, (cur) => ({ engineRef: { ...cur.engineRef, ...ref } }));
          if (ref.webUrl) this.d.progress.touch(task.id);
        },
      },
    };
  }

  private timeoutMs(task: DeployTask): number {
    const env = this.d.model.environment(task.product, task.env);
    return (env.timeoutSeconds ?? this.d.config.defaultTimeoutSeconds) * 1000;
  }

  /**
   * Lines are buffered briefly and written in batches (a chatty script must not cost one store write
   * per line), chained per task so they stay in order, and capped per task.
   */
  appendLog(taskId: string, lines: string[]): Promise<void> {
    const count = (this.logCounts.get(taskId) ?? 0) + lines.length;
    this.logCounts.set(taskId, count);
    const over = count - MAX_LOG_LINES;
    if (over >= lines.length) return this.logChains.get(taskId) ?? Promise.resolve();
    const keep = over > 0 ? [...lines.slice(0, lines.length - over), '… (log truncated)'] : lines;
    const buf = this.logBuffers.get(taskId);
    if (buf) {
      buf.push(...keep);
      return this.logChains.get(taskId) ?? Promise.resolve();
    }
    this.logBuffers.set(taskId, [...keep]);
    const next = (this.logChains.get(taskId) ?? Promise.resolve())
      .then(() => new Promise((r) => setTimeout(r, LOG_BATCH_MS)))
      .then(() => {
        const batch = this.logBuffers.get(taskId) ?? [];
        this.logBuffers.delete(taskId);
        return batch.length ? this.d.store.appendLog(taskId, batch) : undefined;
      })
      .catch((err) => this.d.log.warn({ err, taskId }, 'deploy: appendLog failed'));
    this.logChains.set(taskId, next);
    return next;
  }

  /** Wait until every buffered line of the task is stored. */
  private async flushLog(taskId: string): Promise<void> {
    while (this.logChains.has(taskId)) {
      const c = this.logChains.get(taskId);
      await c;
      if (this.logChains.get(taskId) === c) this.logChains.delete(taskId);
    }
  }

  private async finish(id: string, r: EngineResult, a?: Active): Promise<void> {
    if (a?.detached) return;
    if (a?.timer) clearTimeout(a.timer);
    this.active.delete(id);
    const state: TaskState = a?.timedOut ? 'failed' : r.outcome;
    const reason = a?.timedOut ? 'timeout' : r.reason;
    // The log is complete before the task shows a final state.
    await this.flushLog(id);
    this.logCounts.delete(id);
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
    void this.pump();
  }

  /** Cancel: a waiting task ends at once; a running one when its engine has stopped. */
  async cancel(task: DeployTask, by: string): Promise<DeployTask | undefined> {
    if (task.state === 'waiting') {
      const t = await this.d.repo.patch(task.id, (cur) =>
        cur.state === 'waiting' ? { state: 'cancelled', cancelledBy: by, finishedAt: this.d.clock() } : {},
      );
      await this.d.progress.force(task.id);
      this.d.progress.done(task.id);
      void this.pump();
      return t;
    }
    const a = this.active.get(task.id);
    const t = await this.d.repo.patch(task.id, () => ({ cancelledBy: by }));
    if (a) a.run.cancel();
    else await this.finish(task.id, { outcome: 'cancelled', reason: 'not running here' });
    return t;
  }

  /** After a restart: re-attach or interrupt what was running; re-queue what was waiting. */
  async recover(): Promise<void> {
    const running = (await this.d.repo.list((t) => t.state === 'running')).sort(byId);
    for (const task of running) {
      let run: EngineRun | undefined;
      try {
        run = this.d.engines[task.engine].resume?.(this.context(task));
      } catch (err) {
        this.d.log.warn({ err, taskId: task.id }, 'deploy: resume failed');
      }
      if (run) {
        const elapsed = this.d.clock() - (task.startedAt ?? task.createdAt);
        this.follow(task, run, this.timeoutMs(task) - elapsed);
        await this.d.progress.force(task.id);
        continue;
      }
      await this.appendLog(task.id, [`${new Date(this.d.clock()).toISOString()} interrupted: the bot restarted while this task ran`]);
      await this.d.repo.patch(task.id, () => ({ state: 'interrupted', reason: 'restart', finishedAt: this.d.clock() }));
      await this.d.progress.force(task.id);
      this.d.progress.done(task.id);
    }
    await this.pump();
  }

  /**
   * Shutdown: take no new work; command runs are stopped and marked interrupted (their outcome would
   * be lost anyway); GitLab runs are only detached and re-attached by the next start's recover().
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.pumping;
    for (const [id, a] of [...this.active]) {
      const task = await this.d.repo.get(id);
      if (!task || isTerminal(task.state)) continue;
      a.detached = true;
      if (a.timer) clearTimeout(a.timer);
      this.active.delete(id);
      if (task.engine === 'command') {
        a.run.cancel();
        await this.appendLog(id, [`${new Date(this.d.clock()).toISOString()} interrupted: the bot is shutting down`]);
        await this.d.repo.patch(id, () => ({ state: 'interrupted', reason: 'shutdown', finishedAt: this.d.clock() }));
        await this.d.progress.force(id);
      } else {
        a.run.detach?.();
      }
    }
    for (const id of [...this.logChains.keys()]) await this.flushLog(id);
    this.d.progress.stop();
  }

  /** Tests and shutdown: resolves once nothing runs (or after `ms`). */
  async idle(ms = 10000): Promise<void> {
    const until = Date.now() + ms;
    const busy = async () =>
      this.active.size > 0 || (await this.d.repo.list((t) => t.state === 'waiting' || t.state === 'running', 1)).length > 0;
    while ((await busy()) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await this.pumping;
    await this.d.progress.drain();
  }
}
