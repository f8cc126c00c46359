/**
 * Group commit for ingest (issue 22 §3): deliveries that arrive while a commit is being flushed share
 * the next one. Each caller's promise still resolves only after the COMMIT that holds its row (so its
 * 2xx stays "durable first"); what they share is the round trips and the WAL flush, which is what made
 * one-transaction-per-delivery 0.04× bare Koa (a commit with `synchronous_commit=on` waits for fsync).
 *
 * The batch forms by itself: the first item starts a flush on the next macrotask (`setImmediate`, so the
 * requests parsed in the same I/O turn join it); while `maxInFlight` flushes are running, new items
 * wait and go together in the next one. Under light load a batch is one item and costs what the
 * single-row transaction did; under load it grows up to `maxBatch` (PostgreSQL's own `commit_delay`
 * idea, done in the client so it needs no server setting).
 */
export interface GroupCommitOptions {
  /** Most items in one flush (bounds the statement's size). */
  maxBatch?: number;
  /** Flushes running at once (each holds one pooled connection). */
  maxInFlight?: number;
}

interface Waiting<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<I, R> {
  private waiting: Waiting<I, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Flushes so far and items in them (tests and the bench read these). */
  readonly stats = { flushes: 0, items: 0, largest: 0 };

  /** `flush` writes the items in one transaction and returns one result per item, in order. */
  constructor(
    private readonly flush: (items: I[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.stats.flushes++;
      this.stats.items += batch.length;
      this.stats.largest = Math.max(this.stats.largest, batch.length);
      void this.flushBatch(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async flushBatch(batch: Waiting<I, R>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      // Nothing of the batch committed (one transaction): every caller learns it (→ 503, the sender retries).
      for (const w of batch) w.reject(err);
    }
  }
}
