/**
 * Webhook ingestion across replicas (scale-out.md §A.2): any replica verifies, then inserts the delivery
 * and its processing task in ONE transaction (`ON CONFLICT DO NOTHING` on the dedupe key) and answers
 * 2xx after the commit. Whichever replica claims the task (FOR UPDATE SKIP LOCKED, with a lease) runs
 * the processor, so a replica that dies after acknowledging does not strand its deliveries.
 */
import type { Logger } from 'pino';
import { DeliveryPipeline, type DeliveryInput, type StoredDelivery } from '../../core/deliveries.ts';
import type { PostgresStore } from '../postgres-store.ts';
import { newWorkerId, PgTaskQueue } from './task-queue.ts';
import { startTaskWorker, type TaskWorker } from './task-worker.ts';

const KIND = 'process_webhook';

export class PgDeliveryPipeline extends DeliveryPipeline {
  private readonly taskQueue: PgTaskQueue;
  private worker?: TaskWorker;

  constructor(
    private readonly pg: PostgresStore,
    log: Logger,
    options: { concurrency?: number; retention?: number; leaseMs?: number } = {},
  ) {
    super(pg, log, options);
    this.taskQueue = new PgTaskQueue(pg.pool, newWorkerId(), options.leaseMs);
  }

  override async accept(d: DeliveryInput): Promise<{ id: string; duplicate: boolean }> {
    const id = `${d.source}:${d.dedupeKey}`;
    const stored: StoredDelivery = { ...d, id, status: 'pending', attempts: 0 };
    const r = await this.pg.insertIfAbsentWithTask('deliveries', { tier: 'bulk', maxItems: this.options.retention ?? 5000 }, id, stored, {
      kind: KIND,
      dedupeKey: `wh:${id}`,
      payload: { id },
    });
    if (r.inserted) this.worker?.wake();
    return { id, duplicate: !r.inserted };
  }

  /** Start claiming processing tasks (this replica's share of every replica's deliveries). */
  override async recover(): Promise<number> {
    this.worker ??= startTaskWorker({
      queue: this.taskQueue,
      kinds: [KIND],
      concurrency: this.options.concurrency ?? 4,
      log: this.log,
      handle: async (task) => {
        const { id } = (task.payload ?? {}) as { id?: string };
        if (id) await this.process(id);
      },
    });
    return 0;
  }

  override async idle(): Promise<void> {}

  override async stop(): Promise<void> {
    await this.worker?.stop();
  }
}
