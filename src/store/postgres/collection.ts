/**
 * A `Collection<T>` over the shared `documents` table (one row per collection+key, jsonb doc).
 *
 * Semantics follow MemoryCollection (the spec): `put` on an existing key keeps its place in insertion
 * order (seq and inserted_at are not touched); `update` returning undefined deletes; `list` orders by
 * seq. Every call is one autocommit statement or one transaction, so it resolves only after COMMIT,
 * with `synchronous_commit=on` set on every pooled connection (docs/scale-out.md §2 "Durability").
 */
import type pg from 'pg';
import type { StorageHealth } from '../../core/storage-health.ts';
import type { Collection, CollectionOptions } from '../types.ts';
import { prepared } from './prepared.ts';
import { PgRetention } from './retention.ts';
import { isPgStorageFailure } from './storage-failure.ts';

/** Retries `fn` in a fresh transaction on serialization failures and deadlocks. */
export async function withTransaction<R>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      const code = (e as { code?: string }).code;
      // 40001 serialization_failure, 40P01 deadlock_detected: safe to re-run the whole transaction.
      if ((code === '40001' || code === '40P01') && attempt < 10) continue;
      throw e;
    } finally {
      c.release();
    }
  }
}

/** JSON text for a jsonb parameter: pg would turn a JS array into a PostgreSQL array literal otherwise. */
const json = (v: unknown): string => JSON.stringify(v ?? null);

const PAGE = 500;
const noop = (): void => {};

/** Creates a document unless its key exists ($1 collection, $2 key, $3 JSON text); one row back if it did. */
const INSERT_IF_ABSENT = `INSERT INTO documents (collection, key, doc) VALUES ($1, $2, $3::jsonb)
  ON CONFLICT (collection, key) DO NOTHING RETURNING 1`;

export class PostgresCollection<T> implements Collection<T> {
  /** Retention of this collection's documents (maxItems, maxAgeMs), in retention.ts. */
  private readonly retention: PgRetention;
  /** The last update of each key still running in this process (see update). */
  private readonly updating = new Map<string, Promise<unknown>>();

  constructor(
    private readonly pool: pg.Pool,
    readonly name: string,
    readonly options: CollectionOptions,
    /** Where write outcomes are reported; a refused write becomes StorageUnavailableError (→ 503). */
    private readonly health?: StorageHealth,
  ) {
    this.retention = new PgRetention(pool, name, options);
  }

  async get(key: string): Promise<T | undefined> {
    const r = await this.pool.query<{ doc: T }>(prepared('SELECT doc FROM documents WHERE collection = $1 AND key = $2', [this.name, key]));
    return r.rows[0]?.doc;
  }

  /** A write, reported to the store's health (a refusal → StorageUnavailableError). */
  private write<R>(fn: () => Promise<R>): Promise<R> {
    return this.health ? this.health.guard(fn, isPgStorageFailure) : fn();
  }

  async put(key: string, value: T): Promise<void> {
    // ON CONFLICT keeps seq/inserted_at, so a replaced document keeps its place (Map.set semantics).
    await this.write(() =>
      this.pool.query(
        `INSERT INTO documents (collection, key, doc) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (collection, key) DO UPDATE SET doc = EXCLUDED.doc`,
        [this.name, key, json(value)],
      ),
    );
    await this.retain();
  }

  async insertIfAbsent(key: string, value: T): Promise<boolean> {
    const r = await this.write(() =>
      this.pool.query(prepared(INSERT_IF_ABSENT, [this.name, key, json(value)])),
    );
    const inserted = r.rowCount === 1;
    if (inserted) await this.retain();
    return inserted;
  }

  /**
   * Read-modify-write, optimistic first: read the row with its `xmin` (the id of the transaction that
   * wrote this row version; every UPDATE makes a new version with a new xmin), then write only if it is
   * still that version (`AND xmin = $v`: under READ COMMITTED a concurrent committed update makes the
   * re-check fail, 0 rows). Two autocommit statements instead of BEGIN, SELECT … FOR UPDATE, UPDATE,
   * COMMIT (issue 22 §3). When another writer got there first the key is hot (a storm of one alert): the
   * retry takes the row lock instead (lockedUpdate), since optimistic retries against a hot row each
   * wait for the winner's commit and then lose again. `fn` may run more than once: keep it pure.
   *
   * Updates of one key from this process go one after another (`updating`): racing each other they
   * lost the optimistic write three times in four (a storm of one issue, four processing slots:
   * pg_stat_statements in the ingest bench) and paid the locked transaction's four statements on top.
   * What is left to race is other replicas.
   */
  async update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    const before = this.updating.get(key);
    const mine = (before ? before.then(noop, noop) : Promise.resolve()).then(() => this.updateNow(key, fn));
    this.updating.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.updating.get(key) === mine) this.updating.delete(key);
    }
  }

  private async updateNow(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    let created = false;
    const result = await this.write(async () => {
      const cur = await this.pool.query<{ doc: T; v: string }>(prepared('SELECT doc, xmin::text AS v FROM documents WHERE collection = $1 AND key = $2', [this.name, key]));
      const row = cur.rows[0];
      const next = fn(row?.doc);
      if (!row) {
        if (next === undefined) return undefined;
        const ins = await this.pool.query(prepared(INSERT_IF_ABSENT, [this.name, key, json(next)]));
        if (ins.rowCount === 1) {
          created = true;
          return next;
        }
      } else {
        const w =
          next === undefined
            ? await this.pool.query(prepared('DELETE FROM documents WHERE collection = $1 AND key = $2 AND xmin = $3::text::xid', [this.name, key, row.v]))
            : await this.pool.query(prepared('UPDATE documents SET doc = $4::jsonb WHERE collection = $1 AND key = $2 AND xmin = $3::text::xid', [this.name, key, row.v, json(next)]));
        if (w.rowCount === 1) return next;
      }
      const locked = await this.lockedUpdate(key, fn);
      created = locked.created;
      return locked.value;
    });
    if (created) await this.retain();
    return result;
  }

  /**
   * Row lock (`SELECT … FOR UPDATE`) around fn. An absent key has no row to lock, so creation is an
   * `INSERT … ON CONFLICT DO NOTHING`; if another writer created it meanwhile we loop and lock that row.
   */
  private lockedUpdate(key: string, fn: (current: T | undefined) => T | undefined): Promise<{ value: T | undefined; created: boolean }> {
    return withTransaction(this.pool, async (c) => {
      for (;;) {
        const cur = await c.query<{ doc: T }>('SELECT doc FROM documents WHERE collection = $1 AND key = $2 FOR UPDATE', [this.name, key]);
        const row = cur.rows[0];
        const next = fn(row?.doc);
        if (!row) {
          if (next === undefined) return { value: undefined, created: false };
          const ins = await c.query(
            INSERT_IF_ABSENT,
            [this.name, key, json(next)],
          );
          if (ins.rowCount === 1) return { value: next, created: true };
          continue; // a concurrent writer created it (and committed): lock and re-read it
        }
        if (next === undefined) await c.query('DELETE FROM documents WHERE collection = $1 AND key = $2', [this.name, key]);
        else await c.query('UPDATE documents SET doc = $3::jsonb WHERE collection = $1 AND key = $2', [this.name, key, json(next)]);
        return { value: next, created: false };
      }
    });
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.write(() => this.pool.query('DELETE FROM documents WHERE collection = $1 AND key = $2', [this.name, key]));
    return (r.rowCount ?? 0) > 0;
  }

  async list(options: { filter?: (value: T) => boolean; limit?: number; newestFirst?: boolean } = {}): Promise<T[]> {
    const dir = options.newestFirst ? 'DESC' : 'ASC';
    if (!options.filter) {
      // No filter: order and limit are pushed into SQL (index documents_order).
      const r = await this.pool.query<{ doc: T }>(prepared(`SELECT doc FROM documents WHERE collection = $1 ORDER BY seq ${dir} LIMIT $2`, [this.name, options.limit ?? null]));
      return r.rows.map((x) => x.doc);
    }
    // A JS filter cannot be pushed down: walk the collection in keyset pages and stop at `limit`.
    const out: T[] = [];
    const limit = options.limit ?? Infinity;
    let after: string | null = null;
    const cmp = options.newestFirst ? '<' : '>';
    while (out.length < limit) {
      const r: pg.QueryResult<{ doc: T; seq: string }> = await this.pool.query(
        `SELECT doc, seq FROM documents WHERE collection = $1 AND ($2::bigint IS NULL OR seq ${cmp} $2::bigint)
         ORDER BY seq ${dir} LIMIT ${PAGE}`,
        [this.name, after],
      );
      for (const row of r.rows) {
        if (options.filter(row.doc)) out.push(row.doc);
        if (out.length >= limit) break;
      }
      if (r.rows.length < PAGE) break;
      after = r.rows[r.rows.length - 1]!.seq;
    }
    return out;
  }

  async count(): Promise<number> {
    const r = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM documents WHERE collection = $1', [this.name]);
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Bulk retention after a write that may have added rows (`added`: a batch counts all of them). */
  retain(added = 1): Promise<void> {
    return this.retention.after(added);
  }

  /** retain() without the caller waiting for it (PgRetention.later): for batched ingest. */
  retainLater(added = 1): void {
    this.retention.later(added);
  }

  /** Why the last background trim failed, if it did (tests, diagnosis). */
  get trimError(): string | undefined {
    return this.retention.error;
  }

  /** No more background trims; waits a bounded time for the running one (PgRetention.stop). */
  stop(): Promise<void> {
    return this.retention.stop();
  }

  /** Resolves once no background trim is running. */
  settled(): Promise<void> {
    return this.retention.settled();
  }
}
