/**
 * The embedded/PostgreSQL question, asked once (issue 14 §5): the store driver decides how the parts
 * that coordinate work are built. Embedded (lowdb, memory): one process, in-process queues, timers in
 * the store, no elections. PostgreSQL: several replicas share the delivery queue, the outbox budget,
 * the timers (exactly once) and the deploy queue, and one leader holds each long chat connection
 * (scale-out.md §0). Nothing outside src/store checks which driver is in use.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { DeliveryPipeline } from '../core/deliveries.ts';
import type { OutboxLedger } from '../core/outbox-ledger.ts';
import { StoreOutboxLedger, type StoredOutboxEntry } from '../core/outbox-store-ledger.ts';
import { every } from '../core/periodic.ts';
import { StoreTimers, type Timers } from '../core/timers.ts';
import type { DeployQueue } from '../deploy/queue.ts';
import type { DeployTask } from '../deploy/tasks.ts';
import { createLeaderElection } from './leader.ts';
import { PostgresStore } from './postgres-store.ts';
import { PgDeliveryPipeline } from './postgres/delivery-pipeline.ts';
import { PgDeployQueue } from './postgres/deploy-queue.ts';
import { PgOutboxLedger } from './postgres/outbox-ledger.ts';
import { PgTimers } from './postgres/timers.ts';
import type { Store } from './types.ts';

/** Something held by one replica at a time (a long connection). */
export interface Held {
  stop(): Promise<void>;
}

export interface Coordination {
  /** Several replicas share this store: messages a dead replica left unanswered are taken over. */
  readonly shared: boolean;
  /** Webhook deliveries: persisted, then processed once (by any replica when shared). */
  readonly deliveries: DeliveryPipeline;
  /** Durable one-shot timers (escalation, periodic jobs): exactly once across replicas when shared. */
  readonly timers: Timers;
  /**
   * The durable outbox: embedded, the store's `outbox` collection (bulk tier: lowdb's journal);
   * PostgreSQL, the `outbox` table every replica shares (budget, order and claims across replicas).
   */
  outboxLedger(o: { budgetPerMinute: number; clock: () => number }): OutboxLedger;
  /** The shared deploy queue; undefined: the deploy runner schedules in process. */
  deployQueue(o: { concurrency: number; log: Logger; reattachable(task: DeployTask): boolean }): DeployQueue | undefined;
  /**
   * Run `start` while this replica holds `key` and `stop` when it lets go (one holder across replicas);
   * embedded: started at once and held until `stop()` of the returned handle.
   */
  hold(key: string, o: { start(): Promise<void>; stop(): Promise<void> }): Promise<Held>;
  /** Housekeeping jobs of the driver (armed once timers run). */
  start(): Promise<void>;
}

export function createCoordination(o: { store: Store; config: Config; log: Logger; clock: () => number }): Coordination {
  const { store, config, log } = o;
  const timerLog = log.child({ part: 'timers' });
  if (store instanceof PostgresStore) return pgCoordination(store, config.storage.url, config, log, timerLog);
  return {
    shared: false,
    deliveries: new DeliveryPipeline(store, log, { retention: config.storage.deliveriesRetention }),
    timers: new StoreTimers({ store, log: timerLog, clock: o.clock }),
    outboxLedger: (b) =>
      new StoreOutboxLedger({ budgetPerMinute: b.budgetPerMinute, clock: b.clock, collection: store.collection<StoredOutboxEntry>('outbox', { tier: 'bulk' }) }),
    deployQueue: () => undefined,
    hold: holdHere,
    async start() {},
  };
}

/** One process: whatever is held is held here, from now until stopped. */
async function holdHere(_key: string, h: { start(): Promise<void>; stop(): Promise<void> }): Promise<Held> {
  await h.start();
  return { stop: () => h.stop() };
}

function pgCoordination(store: PostgresStore, url: string | undefined, config: Config, log: Logger, timerLog: Logger): Coordination {
  const leaseMs = config.storage.leaseSeconds * 1000;
  const timers = new PgTimers({ pool: store.pool, log: timerLog });
  // Housekeeping as a periodic job: one run per hour across all replicas (scale-out.md §0 "Cron").
  const prune = every(timers, 'task-queue:prune', 3_600_000, async () => {
    const n = await timers.queue.prune(7 * 24 * 3_600_000);
    if (n > 0) timerLog.info({ deleted: n }, 'task queue: finished rows older than 7 days deleted');
  });
  return {
    shared: true,
    deliveries: new PgDeliveryPipeline(store, log, { retention: config.storage.deliveriesRetention, leaseMs }),
    timers,
    outboxLedger: (b) => new PgOutboxLedger(store.pool, { budgetPerMinute: b.budgetPerMinute }),
    deployQueue: (q) => new PgDeployQueue(store, q.log, { concurrency: q.concurrency, leaseMs, reattachable: q.reattachable }),
    async hold(key, h) {
      if (!url) return holdHere(key, h);
      // A session advisory lock, taken over within seconds when the holder dies (scale-out.md).
      const election = createLeaderElection({
        url,
        lockKey: key,
        log,
        onElected: () => void h.start().catch((err: unknown) => log.error({ err, key }, 'held work failed to start')),
        onDemoted: () => void h.stop().catch((err: unknown) => log.warn({ err, key }, 'held work stop failed')),
      });
      return { stop: () => election.stop() };
    },
    start: () => prune.arm(),
  };
}
