/**
 * Worker loop over PgTaskQueue, one per replica (docs/scale-out.md §0 flow 2): N slots claim due tasks,
 * renew the lease every leaseMs/3 and abort the handler (AbortSignal) when a renewal is refused (the
 * lease was lost: another replica may now own the task); a reaper turns expired leases of dead
 * replicas into requeues or `interrupted` failures and hands the latter to `onInterrupted` (announce
 * them; never re-run a deploy silently). Polling is the source of truth; `wake()` is a hint
 * (e.g. after an enqueue on this replica, or a NOTIFY).
 */
import type { Logger } from 'pino';
import type { Claimed, PgTaskQueue, TaskRow } from './task-queue.ts';

export interface TaskWorkerOptions {
  queue: PgTaskQueue;
  /** Only these kinds (default: all). */
  kinds?: string[];
  /** Parallel tasks on this replica (default 4). */
  concurrency?: number;
  /** Idle poll interval (default 1000 ms). */
  pollMs?: number;
  /** Slots allowed to claim right now (default: all); read before every claim (busy ingest lowers it). */
  limit?: () => number;
  /** Reaper interval (default 5000 ms); 0 disables the reaper on this replica. */
  reapMs?: number;
  /**
   * Runs the task; throw to fail the attempt. Stop work when `signal` aborts (lease lost or stop()).
   * A boolean: the handler completed the task itself (PgTaskQueue.completeWith), true if it still held
   * the lease; otherwise the worker completes it.
   */
  handle(task: Claimed, signal: AbortSignal): Promise<void | boolean>;
  /** A task whose worker died with no attempts left (state failed, lastError 'interrupted: …'). */
  onInterrupted?(task: TaskRow): void | Promise<void>;
  log: Logger;
}

/** How soon a slot held back by `limit` looks again. */
const LIMIT_RECHECK_MS = 50;

/** Thrown by a handler that did not start the task: the claim is handed back untouched (no attempt used). */
export class GiveBack extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'GiveBack';
  }
}

export interface TaskWorker {
  /** Stops claiming new tasks; running handlers go on (graceful shutdown, first step). */
  pause(): void;
  /** Claim now instead of waiting for the next poll. */
  wake(): void;
  /** Stops claiming and waits for running handlers (their signals are aborted). */
  stop(): Promise<void>;
}

/** Starts the slots and the reaper; see the module comment. */
export function startTaskWorker(opts: TaskWorkerOptions): TaskWorker {
  const { queue, log } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const reapMs = opts.reapMs ?? 5000;
  let stopped = false;
  /** Naps in progress, by slot index (REAPER for the reaper, which wake() leaves on its own clock). */
  const naps = new Map<number, () => void>();
  const REAPER = -1;
  const running = new Set<AbortController>();

  const nap = (ms: number, who: number) =>
    new Promise<void>((r) => {
      const done = () => { clearTimeout(t); naps.delete(who); r(); };
      const t = setTimeout(done, ms);
      naps.set(who, done);
    });
  const wakeAll = () => { for (const s of [...naps.values()]) s(); };

  async function runOne(task: Claimed): Promise<void> {
    const ac = new AbortController();
    running.add(ac);
    let renewedAt = Date.now();
    const beat = setInterval(() => {
      queue.heartbeat(task).then(
        (ok) => {
          if (ok) renewedAt = Date.now();
          else { log.warn({ taskId: task.id }, 'task: lease lost, aborting'); ac.abort(new Error('lease lost')); }
        },
        (err) => {
          log.warn({ err, taskId: task.id }, 'task: heartbeat failed');
          // Cut off from the database: the lease will lapse and another replica may take over. Stop
          // before that happens (self-fencing), not when the database can answer again.
          if (Date.now() - renewedAt > queue.leaseMs * 0.8 && !ac.signal.aborted) ac.abort(new Error('lease lost'));
        },
      );
    }, Math.max(50, queue.leaseMs / 3));
    try {
      const completed = await opts.handle(task, ac.signal);
      if (!(typeof completed === 'boolean' ? completed : await queue.complete(task))) log.warn({ taskId: task.id }, 'task: finished after losing its lease; result discarded');
    } catch (err) {
      if (err instanceof GiveBack) {
        await queue.giveBack(task).catch((e) => log.error({ err: e }, 'task: giveBack() failed'));
        return;
      }
      log.warn({ err, taskId: task.id, kind: task.kind }, 'task: attempt failed');
      await queue.fail(task, err instanceof Error ? err.message : String(err)).catch((e) => log.error({ err: e }, 'task: fail() failed'));
    } finally {
      clearInterval(beat);
      running.delete(ac);
    }
  }

  async function slot(index: number): Promise<void> {
    while (!stopped) {
      // A slot above the current limit does not claim: the tasks wait in the table, where any replica
      // (or this one, once the limit rises) takes them.
      if (opts.limit && index >= opts.limit()) {
        await nap(Math.min(pollMs, LIMIT_RECHECK_MS), index);
        continue;
      }
      let task: Claimed | undefined;
      try {
        task = await queue.claim(opts.kinds);
      } catch (err) {
        log.warn({ err }, 'task: claim failed');
      }
      if (task) await runOne(task);
      else await nap(pollMs, index);
    }
  }

  async function reaper(): Promise<void> {
    while (!stopped && reapMs > 0) {
      try {
        const { interrupted, requeued } = await queue.reap(opts.kinds);
        if (requeued.length) log.warn({ ids: requeued.map((t) => t.id) }, 'task: expired leases requeued');
        for (const t of interrupted) {
          log.error({ taskId: t.id, kind: t.kind }, 'task: interrupted (its worker died)');
          await opts.onInterrupted?.(t);
        }
      } catch (err) {
        log.warn({ err }, 'task: reap failed');
      }
      await nap(reapMs, REAPER);
    }
  }

  const loops = [...Array.from({ length: opts.concurrency ?? 4 }, (_, i) => slot(i)), reaper()];

  return {
    pause: () => {
      stopped = true;
      wakeAll();
    },
    // One enqueue adds one task, so one napping slot is started: the lowest (within the limit it claims now;
    // above it, the allowed ones being busy, it looks again every LIMIT_RECHECK_MS), never the reaper.
    // Waking every slot per enqueue cost an empty claim statement per slot and delivery.
    wake: () => {
      let first: number | undefined;
      for (const i of naps.keys()) if (i !== REAPER && (first === undefined || i < first)) first = i;
      if (first !== undefined) naps.get(first)!();
    },
    async stop() {
      stopped = true;
      wakeAll();
      for (const ac of running) ac.abort(new Error('worker stopping'));
      await Promise.all(loops);
    },
  };
}
