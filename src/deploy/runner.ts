/**
 * Runs persisted tasks on their engines (issue 4 §3): picks what may start (tasks.ts pickRunnable, or
 * the shared queue), enforces the per-environment timeout, cancels, and after a restart re-attaches
 * runs whose engine can resume while marking the others `interrupted`. Recording an outcome (log,
 * state, what now runs where, the `deploy.finished` event) is outcome.ts.
 */
import type { Engine, EngineContext, EngineResult, EngineRun } from './engines/types.ts';
import { NotStarted } from './queue.ts';
import { sweepAbandoned } from './queue-sweep.ts';
import { TaskOutcomes } from './outcome.ts';
import { awaitingApproval, byId, isTerminal, pickRunnable, type DeployTask } from './tasks.ts';
import { engineContext, followRun, type Active } from './active-run.ts';

import type { RunnerDeps } from './runner-deps.ts';

export type { RunnerDeps };

/** How often a replica running a task looks for a cancel asked on another replica. */
const CANCEL_POLL_MS = 1000;

export class TaskRunner {
  private readonly active = new Map<string, Active>();
  private readonly outcomes: TaskOutcomes;
  private pumping: Promise<void> = Promise.resolve();
  private stopped = false;
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly d: RunnerDeps) {
    this.outcomes = new TaskOutcomes(d);
  }

  /** Appends lines to the task's log (batched; see TaskLogWriter). */
  appendLog(taskId: string, lines: string[]): Promise<void> {
    return this.outcomes.logs.append(taskId, lines);
  }

  get stopping(): boolean {
    return this.stopped;
  }

  /** Start whatever may start now. Serialized: two pumps never race for the same slot. */
  pump(): Promise<void> {
    if (this.d.queue) {
      this.d.queue.wake();
      return Promise.resolve();
    }
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

  private async start(task: DeployTask): Promise<Active | undefined> {
    if (this.stopped && this.d.queue) throw new NotStarted();
    const now = this.d.clock();
    // Only a task still waiting starts (a cancel on another replica may have won the race).
    const t = await this.d.repo.patch(task.id, (cur) => (cur.state === 'waiting' ? { state: 'running', startedAt: now } : {}));
    if (!t || t.state !== 'running' || t.startedAt !== now) return undefined;
    await this.d.progress.force(t.id);
    const refused = await this.d.startGate?.(t).catch(() => undefined);
    if (refused) {
      await this.finish(t.id, { outcome: 'failed', reason: refused });
      return undefined;
    }
    let run: EngineRun;
    try {
      // context() throws when the product/environment left the config since the task was queued.
      run = this.engine(t).start(this.context(t));
    } catch (err) {
      await this.finish(t.id, { outcome: 'failed', reason: (err as Error).message });
      return undefined;
    }
    return this.follow(t, run, this.timeoutMs(t));
  }

  /** Track a started (or re-attached) run until it ends. */
  private follow(task: DeployTask, run: EngineRun, timeoutMs: number): Active {
    const a = followRun({
      taskId: task.id,
      run,
      timeoutMs,
      onTimeout: () => void this.appendLog(task.id, [`${new Date(this.d.clock()).toISOString()} timeout after ${Math.round(timeoutMs / 1000)}s: cancelling`]),
      onDone: (r, active) => this.finish(task.id, r, active),
      log: this.d.log,
    });
    this.active.set(task.id, a);
    return a;
  }

  private context(task: DeployTask): EngineContext {
    return engineContext(task, { model: this.d.model, repo: this.d.repo, progress: this.d.progress, appendLog: (id, lines) => void this.appendLog(id, lines) });
  }

  private timeoutMs(task: DeployTask): number {
    const env = this.d.model.environment(task.product, task.env);
    return (env.timeoutSeconds ?? this.d.config.defaultTimeoutSeconds) * 1000;
  }

  private async finish(id: string, r: EngineResult, a?: Active): Promise<void> {
    if (a?.detached) return a.end();
    try {
      await this.record(id, r, a);
    } finally {
      a?.end();
    }
    void this.pump();
  }

  private async record(id: string, r: EngineResult, a?: Active): Promise<void> {
    if (a?.timer) clearTimeout(a.timer);
    this.active.delete(id);
    await this.outcomes.record(id, a?.timedOut ? { outcome: 'failed', reason: 'timeout' } : r);
  }

  /** Cancel: a waiting task ends at once; a running one when its engine has stopped. */
  async cancel(task: DeployTask, by: string): Promise<DeployTask | undefined> {
    if (task.state === 'waiting') {
      // One patch: if another replica started it meanwhile, the cancel is recorded for its watcher.
      const t = await this.d.repo.patch(task.id, (cur) =>
        cur.state === 'waiting' ? { state: 'cancelled', cancelledBy: by, finishedAt: this.d.clock() } : isTerminal(cur.state) ? {} : { cancelledBy: by },
      );
      await this.d.queue?.withdraw(task.id);
      await this.d.progress.force(task.id);
      this.d.progress.done(task.id);
      void this.pump();
      return t;
    }
    const a = this.active.get(task.id);
    const t = await this.d.repo.patch(task.id, () => ({ cancelledBy: by }));
    if (a) a.run.cancel();
    // Several replicas: the one running it sees cancelledBy within CANCEL_POLL_MS (runClaimed).
    else if (!this.d.queue) await this.finish(task.id, { outcome: 'cancelled', reason: 'not running here' });
    return t;
  }

  /** Queue mode: run a task this replica claimed, until it ends (DeployQueueHandlers.run). */
  async runClaimed(taskId: string, signal: AbortSignal): Promise<void> {
    if (this.stopped) throw new NotStarted();
    const task = await this.d.repo.get(taskId);
    if (!task || isTerminal(task.state)) return;
    let a: Active | undefined;
    if (task.state === 'running') {
      // A replica claimed it before and stopped or died: re-attach (a GitLab pipeline) or announce.
      const run = this.resumeRun(task);
      if (!run) return this.interrupt(task.id, 'replica lost', 'the replica running this task stopped');
      a = this.follow(task, run, this.timeoutMs(task) - (this.d.clock() - (task.startedAt ?? task.createdAt)));
      await this.d.progress.force(task.id);
    } else {
      a = await this.start(task);
    }
    if (!a) return;
    const active = a;
    const onAbort = () => {
      if (active.detached) return;
      // Stopping: as stop() does for every run (stop() may already have passed this one).
      if (this.stopped) return void this.shutdownActive(taskId, active).catch((err: unknown) => this.d.log.error({ err, taskId }, 'deploy: shutdown of a run failed'));
      // The claim is lost (this replica was cut off from the database): another replica owns the task
      // now. A GitLab pipeline is only let go (the owner re-attaches); a script is stopped and announced.
      active.detached = true;
      if (active.timer) clearTimeout(active.timer);
      this.active.delete(taskId);
      if (this.d.capabilities(task.engine).detachable) {
        active.run.detach?.();
        active.end();
        return;
      }
      active.run.cancel();
      void this.interrupt(taskId, 'lease lost', 'this replica lost its claim on the task')
        .catch((err: unknown) => this.d.log.error({ err, taskId }, 'deploy: interrupt failed'))
        .finally(() => active.end());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const watch = setInterval(() => {
      void this.d.repo.get(taskId).then((t) => {
        if (t?.cancelledBy && this.active.get(taskId) === active) active.run.cancel();
      }, () => {});
    }, CANCEL_POLL_MS);
    watch.unref();
    try {
      await active.ended;
    } finally {
      clearInterval(watch);
      signal.removeEventListener('abort', onAbort);
    }
    // Detached at shutdown (GitLab): hand the claim back, unused, so the next replica re-attaches.
    if (active.detached && this.stopped && (await this.d.repo.get(taskId))?.state === 'running') throw new NotStarted();
  }

  private engine(t: DeployTask): Engine {
    const e = this.d.engines[t.engine];
    if (!e) throw new Error(`no engine of type ${t.engine}`);
    return e;
  }

  /** Marks a task interrupted (unless it already ended) and shows it; never re-runs it. */
  interrupt(taskId: string, reason: string, line: string): Promise<void> {
    return this.outcomes.interrupt(taskId, reason, line);
  }

  private resumeRun(task: DeployTask): EngineRun | undefined {
    try {
      return this.engine(task).resume?.(this.context(task));
    } catch (err) {
      this.d.log.warn({ err, taskId: task.id }, 'deploy: resume failed');
      return undefined;
    }
  }

  /** After a restart: re-attach or interrupt what was running; re-queue what was waiting. */
  async recover(): Promise<void> {
    const queue = this.d.queue;
    if (queue) {
      // Running tasks may belong to live replicas: the queue's leases decide. Waiting ones are
      // re-submitted (idempotent) in case a replica stopped between storing a task and queueing it.
      for (const t of (await this.d.repo.list((x) => x.state === 'waiting')).sort(byId)) await queue.submit(t, awaitingApproval(t));
      queue.start({ run: (id, signal) => this.runClaimed(id, signal), interrupted: (id) => this.interrupt(id, 'replica lost', 'the replica running this task died') });
      const every = this.d.sweepMs ?? 5000;
      const sweep = () =>
        sweepAbandoned({ repo: this.d.repo, queue, clock: this.d.clock, isActive: (id) => this.active.has(id), interrupt: (id, r, l) => this.interrupt(id, r, l) }, every * 2);
      this.sweeper = setInterval(() => void sweep().catch((err: unknown) => this.d.log.warn({ err }, 'deploy: sweep failed')), every);
      this.sweeper.unref();
      return;
    }
    const running = (await this.d.repo.list((t) => t.state === 'running')).sort(byId);
    for (const task of running) {
      const run = this.resumeRun(task);
      if (run) {
        const elapsed = this.d.clock() - (task.startedAt ?? task.createdAt);
        this.follow(task, run, this.timeoutMs(task) - elapsed);
        await this.d.progress.force(task.id);
        continue;
      }
      await this.interrupt(task.id, 'restart', 'the bot restarted while this task ran');
    }
    await this.pump();
  }

  /**
   * Shutdown: take no new work; command runs are stopped and marked interrupted (their outcome would
   * be lost anyway); GitLab runs are only detached and re-attached by the next start's recover().
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.d.queue?.pause(); // claim nothing more while the running tasks are dealt with
    if (this.sweeper) clearInterval(this.sweeper);
    await this.pumping;
    for (const [id, a] of [...this.active]) await this.shutdownActive(id, a);
    await this.outcomes.logs.flushAll();
    await this.d.queue?.stop();
    await this.outcomes.logs.flushAll();
    this.d.progress.stop();
  }

  /** Shutdown of one run: a script is stopped and marked interrupted; a GitLab pipeline is detached. */
  private async shutdownActive(id: string, a: Active): Promise<void> {
    if (a.detached) return;
    a.detached = true;
    if (a.timer) clearTimeout(a.timer);
    this.active.delete(id);
    try {
      const task = await this.d.repo.get(id);
      if (!task || isTerminal(task.state)) return;
      if (this.d.capabilities(task.engine).detachable) {
        a.run.detach?.();
      } else {
        a.run.cancel();
        await this.interrupt(id, 'shutdown', 'the bot is shutting down');
      }
    } finally {
      a.end();
    }
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
