/**
 * Webhook ingestion, the same for every source (the "tao" seed: store every webhook first, then hand it
 * to per-event handlers): persist with dedupe, acknowledge, then process from a queue, at most once per
 * stored delivery. Deliveries still pending at start-up (a crash between ack and processing) are re-queued.
 */
import type { Logger } from 'pino';
import type { Collection, CollectionOptions, Store } from '../store/types.ts';
import { StorageUnavailableError } from './errors.ts';
import { Fifo } from './fifo.ts';
import { OrderGate, type Gated } from './order-gate.ts';

/**
 * Processors running at once while webhooks arrive, and otherwise. Each processed alert rewrites the
 * state file (~0.7 ms of CPU here: ext4's rename over the old file forces the new one's data out), and
 * concurrent processors share one rewrite. Measured on a backlog of 12 000 Sentry alerts (lowdb, 2 cores):
 * 4 at once cost ~550 µs of CPU per delivery (1 300/s), 16 ~250-340 µs (2 000-2 700/s), 64 ~165 µs
 * (4 300/s), so 16 (deliveries of one alert keep their order whatever the number: order-gate.ts). While busy, 4 instead of 1 processed more during the
 * load but answered ~10 % fewer webhooks at 10 connections with the same p99: 1 (issue 22 §2).
 */
const BUSY_CONCURRENCY = 1;
const IDLE_CONCURRENCY = 16;

/** How long a delivery waits before another try when storage failed during its processing. */
const STORAGE_RETRY_MS = 1000;

export interface DeliveryInput {
  source: string;
  kind: string;
  dedupeKey: string;
  /** Processed in acceptance order with the source's other deliveries of this key (Identified.orderKey). */
  orderKey?: string;
  /** With orderKey: may run alongside the key's other shared deliveries (Identified.orderShared). */
  orderShared?: boolean;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

export interface StoredDelivery extends DeliveryInput {
  id: string;
  status: 'pending' | 'processed' | 'failed';
  attempts: number;
  error?: string;
}

/** Processes one stored delivery; `parsed` is its body already parsed when this process accepted it. */
export type Processor = (d: StoredDelivery, parsed?: Record<string, unknown>) => Promise<void>;

/**
 * Parsed bodies kept for processing: at most this many, none older than PARSED_TTL_MS (oldest evicted
 * first). Processing without one parses the stored text again; entries whose delivery another replica
 * processes, or that a local worker processed before the entry was set, age out instead of leaking.
 */
const PARSED_CACHE_MAX = 2_000;
const PARSED_TTL_MS = 30_000;
/**
 * A new delivery's parse is kept only with fewer than this many queued ahead of it. Behind a longer
 * backlog it is not processed before the young generation is collected, so the kept object graph (a few
 * hundred objects per Sentry alert) is copied into the old generation, and with the newest kept and the
 * oldest processed first it is evicted unused anyway. Measured with wrk at 50 connections (memory
 * driver): the GC helper threads' CPU per request halved (~50 µs → ~24 µs) without the cache.
 */
const PARSED_BACKLOG_MAX = 64;

export interface Deliveries {
  /**
   * Persist (dedupe on source+dedupeKey) durably, then queue processing; resolves before processing.
   * `parsed`: the body as the route already parsed it, handed to this process's processor (not stored).
   */
  accept(d: DeliveryInput, parsed?: Record<string, unknown>): Promise<{ id: string; duplicate: boolean }>;
  /** The processor for a source; runs from a queue, once per stored delivery. */
  onProcess(source: string, fn: Processor): void;
}

export const DELIVERIES = 'deliveries';

/**
 * The `deliveries` collection's options, for every driver's pipeline. Retention drops processed
 * deliveries only: one still pending was acknowledged and must be processed.
 */
export function deliveriesCollection(retention = 5000): CollectionOptions {
  return { tier: 'bulk', maxItems: retention, keepWhile: { field: 'status', equals: 'pending' } };
}

/** Headers worth keeping with a delivery: never the ones that carry secrets. */
const SECRET_HEADERS = /token|signature|authorization|cookie|sign$/i;
export function storableHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !SECRET_HEADERS.test(k)) out[k] = v;
  return out;
}

export class DeliveryPipeline implements Deliveries {
  private readonly processors = new Map<string, Processor>();
  /**
   * Bodies parsed by the route, by delivery id, until processed (the hot path parses each body once);
   * with the stored delivery itself where a driver knows it is still current (PgDeliveryPipeline).
   */
  private readonly parsed = new Map<string, { body: Record<string, unknown>; at: number; stored?: StoredDelivery | undefined }>();
  private readonly queue = new Fifo<Gated>();
  /** Processing order within each order key (order-gate.ts). */
  protected readonly gate = new OrderGate();
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  /** When the last delivery was accepted: while webhooks are arriving, processing runs one at a time. */
  private lastAcceptAt = 0;
  readonly collection: Collection<StoredDelivery>;

  constructor(
    store: Store,
    protected readonly log: Logger,
    protected readonly options: { concurrency?: number; retention?: number } = {},
  ) {
    this.collection = store.collection<StoredDelivery>(DELIVERIES, deliveriesCollection(options.retention));
  }

  async accept(d: DeliveryInput, parsed?: Record<string, unknown>): Promise<{ id: string; duplicate: boolean }> {
    const id = this.idOf(d);
    this.noteAccept();
    const inserted = await this.collection.insertIfAbsent(id, { ...d, id, status: 'pending', attempts: 0 });
    if (inserted) {
      this.keepParsed(id, parsed);
      this.enqueue(this.gated(id, d));
    }
    return { id, duplicate: !inserted };
  }

  /** A stored delivery's id: unique per source and dedupe key. */
  protected idOf(d: Pick<DeliveryInput, 'source' | 'dedupeKey'>): string {
    return `${d.source}:${d.dedupeKey}`;
  }

  /** A delivery arrived: processing yields to ingest for a while (processingLimit). */
  protected noteAccept(): void {
    this.lastAcceptAt = Date.now();
  }

  /**
   * Keep the route's parse of a new delivery for its processor (bounded; subclasses call it too).
   * `stored`: the document as written, handed to process() instead of reading it back; only for a
   * caller that knows nothing else writes it before then (forgetStored otherwise).
   */
  protected keepParsed(id: string, parsed: Record<string, unknown> | undefined, stored?: StoredDelivery): void {
    if (!parsed || this.queue.length >= PARSED_BACKLOG_MAX) return;
    const now = Date.now();
    // Insertion order is age order: drop from the front what is too old or over the cap.
    for (const [k, v] of this.parsed) {
      if (this.parsed.size < PARSED_CACHE_MAX && now - v.at < PARSED_TTL_MS) break;
      this.parsed.delete(k);
    }
    this.parsed.set(id, { body: parsed, at: now, stored });
  }

  /** The stored delivery may have changed since it was kept (a retried task): process() reads it again. */
  protected forgetStored(id: string): void {
    const kept = this.parsed.get(id);
    if (kept) kept.stored = undefined;
  }

  onProcess(source: string, fn: Processor): void {
    this.processors.set(source, fn);
  }

  /** Re-queue deliveries that were acknowledged but never processed (crash, SIGKILL). */
  async recover(): Promise<number> {
    const pending = await this.collection.list({ filter: (d) => d.status === 'pending' });
    for (const d of pending) this.enqueue(this.gated(d.id, d)); // list order is acceptance order
    return pending.length;
  }

  /** Deliveries acknowledged but not processed yet, by source (a driver may count them where they are stored). */
  async pendingBySource(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const d of await this.collection.list({ filter: (x) => x.status === 'pending' })) out.set(d.source, (out.get(d.source) ?? 0) + 1);
    return out;
  }

  /** Resolves once the queue is empty and nothing is running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  /** A delivery as the order gate sees it: its order key within its source, and whether it is shared. */
  protected gated(id: string, d: Pick<DeliveryInput, 'source' | 'orderKey' | 'orderShared'>): Gated {
    if (d.orderKey === undefined) return { id };
    return { id, order: `${d.source}:${d.orderKey}`, ...(d.orderShared ? { shared: true } : {}) };
  }

  private enqueue(item: Gated): void {
    this.queue.push(item);
    this.pump();
  }

  private pump(): void {
    // Ingest first (the sender waits for its 2xx; processing does not): while webhooks arrive, one
    // processor at a time, each started after the pending I/O callbacks (setImmediate); the backlog is
    // worked off with many at once as soon as they stop (their state writes are shared: single-flight).
    const limit = this.processingLimit(IDLE_CONCURRENCY);
    while (!this.stopped && this.running < limit && this.queue.length > 0) {
      const item = this.queue.shift()!;
      if (!this.gate.admit(item)) continue; // parked behind its order key; handed on below
      const { id, order } = item;
      this.running++;
      let postponed = false;
      void new Promise<void>((r) => setImmediate(r))
        .then(() => this.process(id))
        .then((outcome) => {
          if (outcome !== 'postponed') return;
          // Tried again later with its order key still held: the key's later deliveries wait for it.
          postponed = true;
          this.later(() => this.enqueue({ ...item, granted: true }));
        })
        .catch((err: unknown) => this.log.error({ err, delivery: id }, 'delivery processing crashed'))
        .finally(() => {
          this.running--;
          // What its key may run next goes first, admitted already.
          if (!postponed) this.queue.unshift(this.gate.release(order));
          this.pump();
          if (this.queue.length === 0 && this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  /** Processors allowed at once now: BUSY_CONCURRENCY while webhooks arrive (last one < 20 ms ago), else `idle`. */
  protected processingLimit(idle: number): number {
    return Date.now() - this.lastAcceptAt < 20 ? BUSY_CONCURRENCY : (this.options.concurrency ?? idle);
  }

  /**
   * Process one stored delivery (at most once: only a `pending` one runs). Storage failing is not the
   * delivery's fault: a processor that hits StorageUnavailableError leaves it pending and it is tried
   * again later (its effects so far may repeat then: at least once while the disk is full), and a status
   * that could not be written is written again later without re-running the processor.
   */
  protected async process(id: string): Promise<'done' | 'postponed'> {
    const kept = this.parsed.get(id);
    this.parsed.delete(id);
    const parsed = kept?.body;
    const d = kept?.stored ?? (await this.collection.get(id));
    if (!d || d.status !== 'pending') return 'done';
    const fn = this.processors.get(d.source);
    let status: StoredDelivery['status'] = 'processed';
    let error: string | undefined;
    if (fn) {
      try {
        await fn(d, parsed);
      } catch (err) {
        if (err instanceof StorageUnavailableError) {
          this.log.warn({ delivery: id, reason: err.message }, 'delivery processing postponed: storage unavailable');
          return 'postponed';
        }
        status = 'failed';
        error = err instanceof Error ? err.message : String(err);
        this.log.error({ err, delivery: id, source: d.source, kind: d.kind }, 'delivery processing failed');
      }
    } else {
      this.log.debug({ delivery: id, source: d.source }, 'no processor for source; stored only');
    }
    await this.markDone(id, status, error);
    return 'done';
  }

  private async markDone(id: string, status: StoredDelivery['status'], error: string | undefined): Promise<void> {
    try {
      await this.writeOutcome(id, status, error);
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      this.log.warn({ delivery: id, reason: err.message }, 'delivery status not stored: retrying later');
      this.later(() => void this.markDone(id, status, error).catch((e: unknown) => this.log.error({ err: e, delivery: id }, 'delivery status write failed')));
    }
  }

  /** Stores a processed delivery's status (a driver's pipeline may do it in one statement). */
  protected async writeOutcome(id: string, status: StoredDelivery['status'], error: string | undefined): Promise<void> {
    await this.collection.update(id, (cur) => (cur ? { ...cur, status, attempts: cur.attempts + 1, ...(error ? { error } : {}) } : cur));
  }

  protected later(fn: () => void): void {
    if (this.stopped) return;
    setTimeout(() => {
      if (!this.stopped) fn();
    }, STORAGE_RETRY_MS).unref();
  }
}
