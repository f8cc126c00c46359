/**
 * Durable one-shot timers (issue 9 §3: "escalation timers and any periodic jobs as scheduled tasks that
 * run exactly once"; docs/scale-out.md §0 flow 3). Features schedule `{kind, key, at, payload}`; the
 * handler registered for `kind` runs once when `at` has passed, on one replica.
 *
 * A key names one occurrence: scheduling it again is a no-op, also after it fired or was cancelled
 * (PostgreSQL: `task_queue.dedupe_key` is unique forever; here: tombstones kept for a day). So keys carry
 * whatever makes an occurrence unique, e.g. `sentry:escalate:<alert>:<epoch>:L<n>`.
 *
 * Two implementations: `StoreTimers` below (single process: lowdb/memory, persisted in the hot `timers`
 * collection) and `PgTimers` (src/store/postgres/timers.ts: the task queue, exactly once across replicas).
 * Handlers must re-check their own state: a cancel can race a firing timer.
 */
import type { Logger } from 'pino';
import type { Collection, Store } from '../store/types.ts';

/** Runs a due timer; throw to have it retried (with backoff, a few times). */
export type TimerHandler = (payload: unknown, key: string) => Promise<void>;

export interface TimerSpec {
  kind: string;
  /** The occurrence's unique key (idempotency). */
  key: string;
  /** Epoch ms; in the past = as soon as possible. */
  at: number;
  payload?: unknown;
}

export interface Timers {
  /** One handler per kind; register before `start()`. */
  on(kind: string, handler: TimerHandler): void;
  /** Idempotent on `key`. Resolves once the timer is durable. */
  schedule(t: TimerSpec): Promise<void>;
  /** A pending timer with this key will not fire (no-op when unknown or already fired). */
  cancel(key: string): Promise<void>;
  start(): Promise<void>;
  /** Stops firing; waits for running handlers. */
  stop(): Promise<void>;
}


/** A persisted timer of StoreTimers. */
export interface StoredTimer {
  key: string;
  kind: string;
  at: number;
  payload: unknown;
  state: 'pending' | 'done' | 'cancelled' | 'dropped';
  attempts: number;
  finishedAt?: number;
  lastError?: string;
}

export const TIMERS_COLLECTION = 'timers';
/** Tombstones (fired/cancelled keys) are kept this long so a late re-schedule stays a no-op. */
const TOMBSTONE_MS = 24 * 3_600_000;

export interface StoreTimersOptions {
  store: Store;
  log: Logger;
  clock?: () => number;
  /** Poll interval of the firing loop (default 1000 ms); 0 = no loop (tests call `runDue()`). */
  pollMs?: number;
  /** Delays before each retry of a throwing handler; after the last one the timer is dropped. */
  retryDelaysMs?: number[];
}

/**
 * The embedded (single-process) Timers: state in the Store's hot `timers` collection, so a timer due
 * while the bot was down fires at start; one unref'd interval fires due timers in order of `at`.
 */
export class StoreTimers implements Timers {
  private readonly col: Collection<StoredTimer>;
  private readonly handlers = new Map<string, TimerHandler>();
  private readonly clock: () => number;
  private readonly retryDelays: number[];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private lastPrune = 0;

  constructor(private readonly opts: StoreTimersOptions) {
    this.col = opts.store.collection<StoredTimer>(TIMERS_COLLECTION, { tier: 'hot' });
    this.clock = opts.clock ?? Date.now;
    this.retryDelays = opts.retryDelaysMs ?? [1_000, 10_000, 60_000];
  }

  on(kind: string, handler: TimerHandler): void {
    this.handlers.set(kind, handler);
  }

  async schedule(t: TimerSpec): Promise<void> {
    const created = await this.col.insertIfAbsent(t.key, { key: t.key, kind: t.kind, at: t.at, payload: t.payload ?? null, state: 'pending', attempts: 0 });
    if (created && this.timer && t.at <= this.clock()) void this.runDue();
  }

  async cancel(key: string): Promise<void> {
    const now = this.clock();
    await this.col.update(key, (cur) => (cur?.state === 'pending' ? { ...cur, state: 'cancelled', finishedAt: now } : cur));
  }

  async start(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    if (pollMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.runDue(), pollMs);
      this.timer.unref();
    }
    await this.runDue(); // whatever fell due while the bot was down
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  /** Fires every due timer now (serialized with the loop); returns how many handlers ran. */
  runDue(): Promise<number> {
    const run = this.chain.then(() => this.fireDue());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async fireDue(): Promise<number> {
    const now = this.clock();
    let fired = 0;
    try {
      const due = await this.col.list({ filter: (t) => t.state === 'pending' && t.at <= now });
      due.sort((a, b) => a.at - b.at);
      for (const t of due) {
        // Cancelled while earlier handlers ran?
        const cur = await this.col.get(t.key);
        if (cur?.state !== 'pending') continue;
        fired++;
        await this.fire(cur);
      }
      if (now - this.lastPrune > 3_600_000) {
        this.lastPrune = now;
        const old = await this.col.list({ filter: (t) => t.state !== 'pending' && now - (t.finishedAt ?? now) > TOMBSTONE_MS });
        for (const t of old) await this.col.delete(t.key);
      }
    } catch (err) {
      this.opts.log.error({ err }, 'timers: firing loop failed');
    }
    return fired;
  }

  private async fire(t: StoredTimer): Promise<void> {
    const { log } = this.opts;
    try {
      const handler = this.handlers.get(t.kind);
      if (!handler) throw new Error(`no handler for timer kind ${t.kind}`);
      await handler(t.payload, t.key);
      await this.col.update(t.key, (cur) => (cur ? { ...cur, state: 'done', attempts: cur.attempts + 1, finishedAt: this.clock() } : cur));
    } catch (err) {
      const attempts = t.attempts + 1;
      const delay = this.retryDelays[attempts - 1];
      const lastError = err instanceof Error ? err.message : String(err);
      if (delay === undefined) {
        log.error({ err, key: t.key, kind: t.kind, attempts }, 'timers: handler kept failing; timer dropped');
        await this.col.update(t.key, (cur) => (cur ? { ...cur, state: 'dropped', attempts, lastError, finishedAt: this.clock() } : cur));
      } else {
        log.warn({ err, key: t.key, kind: t.kind, attempts, retryInMs: delay }, 'timers: handler failed; will retry');
        await this.col.update(t.key, (cur) => (cur?.state === 'pending' ? { ...cur, attempts, lastError, at: this.clock() + delay } : cur));
      }
    }
  }
}
