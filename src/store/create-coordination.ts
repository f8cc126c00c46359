/** Builds the coordination parts for the store driver in use (coordination.ts says what they are). */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { DeliveryPipeline } from '../core/deliveries.ts';
import { every } from '../core/periodic.ts';
import { StoreOutboxLedger, type StoredOutboxEntry } from '../core/outbox-store-ledger.ts';
import { StoreTimers } from '../core/timers.ts';
import type { Coordination, Held } from './coordination.ts';
import { createLeaderElection } from './leader.ts';
import { PostgresStore } from './postgres-store.ts';
import { PgDeliveryPipeline } from './postgres/delivery-pipeline.ts';
import { PgDeployQueue } from './postgres/deploy-queue.ts';
import { PgOutboxLedger } from './postgres/outbox-ledger.ts';
import { PgTimers } from './postgres/timers.ts';
import type { Store } from './types.ts';

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
