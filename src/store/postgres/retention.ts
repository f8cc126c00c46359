/**
 * Bulk retention of one collection in the shared `documents` table (MemoryCollection.retain, amortized):
 * the oldest documents beyond `maxItems`, and those older than `maxAgeMs`, are deleted, except what
 * `keepWhile` protects (a delivery not processed yet). Awaited after a write (`after`), or in the
 * background for batched ingest (`later`).
 */
import type pg from 'pg';
import type { CollectionOptions } from '../types.ts';

export class PgRetention {
  /** Writes that may have added a row since the last maxItems trim (per process; see trimEvery). */
  private writes: number;
  private lastAgeTrim = 0;
  /**
   * Trim the oldest beyond maxItems once every `trimEvery` writes: one trim scans about maxItems index
   * entries, so spreading it over maxItems/10 writes keeps the cost per insert constant (≈10 index
   * entries) instead of growing with what is stored. Between trims a replica may exceed the cap by
   * up to 10% (small caps, < 20, are exact).
   */
  private readonly trimEvery: number;
  /** The background trim running now (later). */
  private trimming: Promise<void> | undefined;
  private stopped = false;
  /** Why the last background trim failed (undefined once one succeeds): for tests and diagnosis. */
  error: string | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly name: string,
    private readonly options: CollectionOptions,
  ) {
    const max = options.maxItems;
    this.trimEvery = max === undefined ? Infinity : Math.max(1, Math.floor(max / 10));
    this.writes = this.trimEvery - 1; // first write of a process trims (the table may be over cap from before)
  }

  /**
   * after() without the caller waiting for it: for batched ingest, whose 2xx needs the commit of its
   * own rows, not the trim of older ones. A trim scans about maxItems index entries (tens of ms with
   * 100 000 stored); awaited, it held every delivery of its batch and the batches queued behind it
   * (ingest bench, PostgreSQL with 100 000 stored: first delivery 83 ms), and a trim that failed
   * answered 503 for rows already committed. One background trim at a time (an awaited after() elsewhere
   * may still run beside it: the second DELETE waits for the first's row locks, then finds less to
   * delete); writes meanwhile count toward the next. A failed trim is tried again at the next write, and
   * what failed is kept in `error` (nobody waits for it to throw).
   */
  later(added = 1): void {
    if (this.stopped) return;
    if (this.trimming) {
      this.writes += added;
      return;
    }
    const t = this.after(added)
      .then(
        () => {
          this.error = undefined;
        },
        (err: unknown) => {
          this.error = err instanceof Error ? err.message : String(err);
          this.writes = Math.max(this.writes, this.trimEvery - 1);
        },
      )
      .finally(() => {
        if (this.trimming === t) this.trimming = undefined;
      });
    this.trimming = t;
  }

  /**
   * No more background trims; resolves once the running one is done or `waitMs` passed (a trim stuck on
   * row locks must not hold up a shutdown: the next process trims at its first write anyway).
   */
  async stop(waitMs = 5_000): Promise<void> {
    this.stopped = true;
    const running = this.trimming;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  /** Resolves once no background trim is running. */
  async settled(): Promise<void> {
    while (this.trimming) await this.trimming;
  }

  /** After a write that may have added `added` rows (a batch counts all of them towards the next trim). */
  async after(added = 1): Promise<void> {
    const { maxItems, maxAgeMs } = this.options;
    if (maxAgeMs !== undefined) {
      // Age trim at most every maxAgeMs/10 (≤ 10 s): one index range delete on documents_age.
      const now = Date.now();
      if (now - this.lastAgeTrim >= Math.min(maxAgeMs / 10, 10_000)) {
        this.lastAgeTrim = now;
        await this.pool.query(
          `DELETE FROM documents WHERE collection = $1 AND inserted_at < now() - make_interval(secs => $2::double precision)${this.keepClause(3)}`,
          [this.name, maxAgeMs / 1000, ...this.keepParams()],
        );
      }
    }
    if (maxItems !== undefined && (this.writes += added) >= this.trimEvery) {
      this.writes = 0;
      await this.pool.query(
        `DELETE FROM documents WHERE collection = $1 AND seq <= (
           SELECT seq FROM documents WHERE collection = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1)${this.keepClause(3)}`,
        [this.name, maxItems, ...this.keepParams()],
      );
    }
  }

  /** The retention deletes' guard for `keepWhile` (those documents are never trimmed), from parameter $n. */
  private keepClause(n: number): string {
    return this.options.keepWhile ? ` AND (doc ->> $${n}) IS DISTINCT FROM $${n + 1}` : '';
  }

  private keepParams(): string[] {
    const k = this.options.keepWhile;
    return k ? [k.field, k.equals] : [];
  }
}
