/**
 * Webhook ingestion across replicas (scale-out.md §A.2): any replica verifies, then inserts the delivery
 * and its processing task in ONE transaction (`ON CONFLICT DO NOTHING` on the dedupe key) and answers
 * 2xx after the commit. Whichever replica claims the task (FOR UPDATE SKIP LOCKED, with a lease) runs
 * the processor, so a replica that dies after acknowledging does not strand its deliveries.
 * Concurrent deliveries share one statement and one commit (group-commit.ts, issue 22 §3); each 2xx
 * still waits for the commit that holds its row.
 */
import type { Logger } from 'pino';
import type { Gated } from '../../core/order-gate.ts';
import { DELIVERIES, deliveriesCollection, DeliveryPipeline, type DeliveryInput, type StoredDelivery } from '../../core/deliveries.ts';
import { StorageUnavailableError } from '../../core/errors.ts';
import type { PostgresStore } from '../postgres-store.ts';
import type { CollectionOptions } from '../types.ts';
import { GroupCommit } from './group-commit.ts';
import { isPgStorageFailure } from './storage-failure.ts';
import { newWorkerId, PgTaskQueue, type EnqueueInput } from './task-queue.ts';
import { startTaskWorker, type TaskWorker } from './task-worker.ts';

const KIND = 'process_webhook';

interface Outcome {
  status: StoredDelivery['status'];
  error: string | undefined;
}

/** The delivery's status and attempt count, merged into its document in place; only if the task's completion (`done`) matched. */
const outcomeUpdate = (id: string, o: Outcome) => ({
  sql: `UPDATE documents SET doc = doc || jsonb_build_object('status', $6::text, 'attempts', coalesce((doc ->> 'attempts')::int, 0) + 1)
                                   || CASE WHEN $7::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', $7::text) END
         WHERE collection = $4 AND key = $5 AND EXISTS (SELECT 1 FROM done)`,
  params: [DELIVERIES, id, o.status, o.error ?? null],
});
/** Processing slots per replica (each holds a pooled connection while it runs). */
const PG_CONCURRENCY = 4;

export class PgDeliveryPipeline extends DeliveryPipeline {
  private readonly taskQueue: PgTaskQueue;
  private worker?: TaskWorker;
  /** Claimed tasks parked behind their order key → what starts them (see inOrder). */
  private readonly parked = new Map<Gated, () => void>();
  /** Outcomes of deliveries being processed, written with their task's completion (see writeOutcome). */
  private readonly outcomes = new Map<string, Outcome>();
  private readonly batches: GroupCommit<{ key: string; value: StoredDelivery; task: EnqueueInput }, boolean>;

  constructor(
    private readonly pg: PostgresStore,
    log: Logger,
    options: { concurrency?: number; retention?: number; leaseMs?: number } = {},
  ) {
    super(pg, log, options);
    this.taskQueue = new PgTaskQueue(pg.pool, newWorkerId(), options.leaseMs);
    const where = deliveriesCollection(options.retention);
    this.batches = new GroupCommit((items) => this.insertBatch(where, items));
  }

  /** Stats of the group commit (flushes, items, largest batch): tests and the benchmark read them. */
  get groupCommit(): GroupCommit<unknown, boolean>['stats'] {
    return this.batches.stats;
  }

  /** One statement for the batch; a key repeated inside the batch is stored once, the repeats are duplicates. */
  private async insertBatch(where: CollectionOptions, items: { key: string; value: StoredDelivery; task: EnqueueInput }[]): Promise<boolean[]> {
    const first = new Map<string, number>();
    items.forEach((it, i) => first.has(it.key) || first.set(it.key, i));
    const unique = [...first.values()].map((i) => items[i]!);
    const inserted = await this.pg.insertManyIfAbsentWithTasks(DELIVERIES, where, unique);
    const byKey = new Map(unique.map((it, i) => [it.key, inserted[i]!]));
    return items.map((it, i) => first.get(it.key) === i && byKey.get(it.key) === true);
  }

  override async accept(d: DeliveryInput, parsed?: Record<string, unknown>): Promise<{ id: string; duplicate: boolean }> {
    const id = this.idOf(d);
    this.noteAccept();
    const stored: StoredDelivery = { ...d, id, status: 'pending', attempts: 0 };
    // The task carries the delivery as the order gate sees it, so whichever replica claims it orders it.
    const inserted = await this.batches.add({ key: id, value: stored, task: { kind: KIND, dedupeKey: `wh:${id}`, payload: this.gated(id, d) } });
    if (inserted) {
      // Another replica may claim it; then it parses the stored text, and this entry ages out (deliveries.ts).
      // With the document as written: the claim of its task (attempt 1) proves nobody has changed it.
      this.keepParsed(id, parsed, stored);
      this.worker?.wake();
    }
    return { id, duplicate: !inserted };
  }

  /** Start claiming processing tasks (this replica's share of every replica's deliveries). */
  override async recover(): Promise<number> {
    this.worker ??= startTaskWorker({
      queue: this.taskQueue,
      kinds: [KIND],
      concurrency: this.options.concurrency ?? PG_CONCURRENCY,
      // While webhooks arrive this replica processes one at a time, as the embedded pipeline does.
      limit: () => this.processingLimit(PG_CONCURRENCY),
      log: this.log,
      handle: async (task) => {
        const item = (task.payload ?? {}) as Partial<Gated>;
        const id = item.id;
        if (!id) return;
        // A retried task: an earlier attempt may have written the delivery since it was accepted.
        if (task.attempts > 1) this.forgetStored(id);
        const ran = await this.inOrder(item as Gated, () => this.process(id));
        const outcome = this.outcomes.get(id);
        this.outcomes.delete(id);
        // Storage failed meanwhile: the task fails and the queue tries it again with backoff (a task, unlike
        // the embedded pipeline's timer, survives a restart).
        if (ran === 'postponed') throw new StorageUnavailableError('delivery processing postponed');
        // The outcome and the task's completion in one statement (task-queue.ts completeWith).
        return outcome ? await this.pg.health.guard(() => this.taskQueue.completeWith(task, outcomeUpdate(id, outcome)), isPgStorageFailure) : undefined;
      },
    });
    return 0;
  }

  /**
   * The order gate (order-gate.ts, as in the embedded pipeline) on this replica, over claimed tasks: a
   * parked task waits in its slot until its key hands on to it. Claims take the oldest task first (two
   * slots claiming at once may see their replies in either order: a window of one claim round trip).
   * Not across replicas: the task table's lock_key would order those too, but its claim scans every
   * queued task of a busy key, and a storm is thousands of one issue.
   */
  private async inOrder<R>(item: Gated, run: () => Promise<R>): Promise<R> {
    if (!this.gate.admit(item)) await new Promise<void>((go) => this.parked.set(item, go));
    try {
      return await run();
    } finally {
      for (const next of this.gate.release(item.order)) {
        this.parked.get(next)?.();
        this.parked.delete(next);
      }
    }
  }

  /**
   * Held until the task completes: handle() writes it together with the completion (completeWith), as a
   * jsonb merge in place (outcomeUpdate). The base pipeline wrote it on its own, a round trip more.
   */
  protected override async writeOutcome(id: string, status: StoredDelivery['status'], error: string | undefined): Promise<void> {
    this.outcomes.set(id, { status, error });
  }

  /**
   * Counted in PostgreSQL: the collection-wide list of the base pipeline shipped every stored delivery
   * (4 KB each, up to the retention) to this process for every scrape of opsbot_webhook_pending.
   */
  override async pendingBySource(): Promise<Map<string, number>> {
    const r = await this.pg.pool.query<{ source: string; n: number }>(
      `SELECT doc ->> 'source' AS source, count(*)::int AS n FROM documents WHERE collection = $1 AND doc ->> 'status' = 'pending' GROUP BY 1`,
      [DELIVERIES],
    );
    return new Map(r.rows.map((x) => [x.source, x.n]));
  }

  override async idle(): Promise<void> {}

  override async stop(): Promise<void> {
    await this.worker?.stop();
  }
}
