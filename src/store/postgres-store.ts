/**
 * The PostgreSQL Store (`storage.driver: postgres`, `storage.url`): the driver for several replicas on
 * one database (issue 9, docs/scale-out.md §0). Same semantics as MemoryStore/LowdbStore, with
 * PostgreSQL primitives behind them:
 *
 * - collections → table `documents`; `insertIfAbsent` = `INSERT … ON CONFLICT DO NOTHING` (the dedupe
 *   primitive across replicas), `update` = row lock (`SELECT … FOR UPDATE`) in a transaction;
 * - `nextSequence` → `INSERT … ON CONFLICT DO UPDATE … RETURNING` on `sequences` (one atomic statement);
 * - task logs → `task_logs`, audit → `audit` (20 000 newest kept, as lowdb does);
 * - schema migrations at `init()` under `pg_advisory_xact_lock` (postgres/migrations.ts).
 *
 * Every pooled connection runs with `synchronous_commit=on` (set as a startup option, so a server or
 * role default of `off` cannot weaken it): a call resolves only once its commit is flushed to WAL,
 * which is what "durable before resolve" and answering 2xx after ingest rely on (§2).
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { StorageHealth } from '../core/storage-health.ts';
import { migrate } from './postgres/migrations.ts';
import { prepared } from './postgres/prepared.ts';
import { isPgStorageFailure } from './postgres/storage-failure.ts';
import { PostgresCollection, withTransaction } from './postgres/collection.ts';
import { enqueueTask, type EnqueueInput } from './postgres/task-queue.ts';
import type { AuditEntry, Collection, CollectionOptions, Store } from './types.ts';

/**
 * Documents and their tasks from one jsonb array ($1 collection, $2 the batch): see insertManyIfAbsentWithTasks.
 */
const INGEST_BATCH = `WITH input AS (
     SELECT e ->> 'key' AS key, e -> 'doc' AS doc, e ->> 'kind' AS kind, e -> 'payload' AS payload,
            e ->> 'lock_key' AS lock_key, e ->> 'dedupe_key' AS dedupe_key,
            (e ->> 'delay')::float8 AS delay, (e ->> 'max_attempts')::int AS max_attempts, n
       FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n)
   ), ins AS (
     INSERT INTO documents (collection, key, doc)
     SELECT $1, key, doc FROM input ORDER BY n
     ON CONFLICT (collection, key) DO NOTHING RETURNING key
   ), tasks AS (
     INSERT INTO task_queue (kind, payload, lock_key, dedupe_key, run_at, max_attempts)
     SELECT i.kind, i.payload, i.lock_key, i.dedupe_key, now() + make_interval(secs => i.delay), i.max_attempts
     FROM input i JOIN ins USING (key) ORDER BY i.n
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1
   )
   SELECT key FROM ins`;

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db` (storage.url). */
  url: string;
  /** Pool size per replica (docs/scale-out.md §0: 5–10, plus the leader connection). */
  poolSize?: number;
  log?: Logger;
  /** Tag for `pg_stat_activity.application_name`. */
  applicationName?: string;
}

const AUDIT_MAX = 20_000;
const AUDIT_TRIM_EVERY = 1_000;

export class PostgresStore implements Store {
  readonly driver = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly collections = new Map<string, PostgresCollection<unknown>>();
  private audits = AUDIT_TRIM_EVERY - 1;
  private closed = false;
  readonly health = new StorageHealth();

  constructor(private readonly opts: PostgresStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      application_name: opts.applicationName ?? 'opsbot',
      options: '-c synchronous_commit=on',
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    // An idle pooled client whose server connection dies emits 'error' on the pool; without a
    // listener Node would crash the process. The pool drops that client and opens a new one.
    this.pool.on('error', (err) => opts.log?.warn({ err: err.message }, 'postgres: idle pooled connection lost'));
    // A checked-out client has no pool listener: a session terminated between two of its queries
    // (57P01 admin_shutdown, a failover) would emit 'error' unhandled and crash the process. Its next
    // query fails instead, which the caller sees (a write → StorageUnavailableError → 503).
    this.pool.on('connect', (client) => client.on('error', (err) => opts.log?.warn({ err: err.message }, 'postgres: pooled connection lost')));
    // Recovery shows on /healthz without traffic: an insert that is rolled back (fails while the
    // database refuses writes; writes nothing otherwise).
    this.health.setProbe(async () => {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        await c.query(`INSERT INTO documents (collection, key, doc) VALUES ('_probe', $1, 'null'::jsonb) ON CONFLICT DO NOTHING`, [String(process.pid)]);
      } finally {
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
      }
    });
  }

  async init(): Promise<void> {
    const applied = await migrate(this.pool);
    if (applied.length) this.opts.log?.info({ applied }, 'postgres: migrations applied');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.collections.values()].map((c) => c.stop()));
    await this.pool.end();
  }

  collection<T>(name: string, options: CollectionOptions): Collection<T> {
    let c = this.collections.get(name);
    if (!c) {
      c = new PostgresCollection<unknown>(this.pool, name, options, this.health);
      this.collections.set(name, c);
    }
    return c as PostgresCollection<T>;
  }

  /**
   * Ingest in one transaction (docs/scale-out.md §0 flow 1, §A.2): insert the document if its key is
   * new and, only then, its processing task; both commit together (synchronous_commit on) before this
   * resolves, so answering 2xx afterwards is safe and a duplicate adds no work. Postgres-only: callers
   * check `store.driver === 'postgres'`.
   */
  async insertIfAbsentWithTask<T>(
    name: string,
    options: CollectionOptions,
    key: string,
    value: T,
    task: EnqueueInput,
  ): Promise<{ inserted: boolean; taskId?: string }> {
    // One transaction: a refused write (read-only, disk full, INSERT revoked) rolls back both rows,
    // so the delivery leaves no trace and its retry is new (→ 503 now, StorageUnavailableError).
    const r = await this.health.guard(
      () =>
        withTransaction(this.pool, async (c) => {
          const ins = await c.query(
            `INSERT INTO documents (collection, key, doc) VALUES ($1, $2, $3::jsonb)
             ON CONFLICT (collection, key) DO NOTHING RETURNING 1`,
            [name, key, JSON.stringify(value ?? null)],
          );
          if (ins.rowCount !== 1) return { inserted: false };
          const t = await enqueueTask(c, task);
          return t.id === undefined ? { inserted: true } : { inserted: true, taskId: t.id };
        }),
      isPgStorageFailure,
    );
    if (r.inserted) await (this.collection<T>(name, options) as PostgresCollection<T>).retain();
    return r;
  }

  /**
   * The batched form of insertIfAbsentWithTask (group commit, postgres/group-commit.ts): one statement,
   * hence one transaction and one commit, for many documents and their tasks. Data-modifying CTEs run
   * once and to completion, and the task insert reads the document insert's RETURNING, so a task is
   * created exactly for the documents that were new. Keys must be distinct within a call (the caller
   * answers in-batch repeats as duplicates). Returns, per item, whether its document was inserted.
   */
  async insertManyIfAbsentWithTasks<T>(name: string, options: CollectionOptions, items: { key: string; value: T; task: EnqueueInput }[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    // The batch is one jsonb parameter (each document nested as an object): one JSON.stringify here and
    // one jsonb parse there, instead of a JSON text per document that pg then escapes into an array
    // literal and PostgreSQL unescapes and parses again (pg's escapeElement was ~4 % of ingest CPU).
    const batch = JSON.stringify(
      items.map((i) => ({
        key: i.key,
        doc: i.value ?? null,
        kind: i.task.kind,
        payload: i.task.payload ?? {},
        lock_key: i.task.lockKey ?? null,
        dedupe_key: i.task.dedupeKey ?? null,
        delay: (i.task.delayMs ?? 0) / 1000,
        max_attempts: i.task.maxAttempts ?? 5,
      })),
    );
    const r = await this.health.guard(
      () =>
        this.pool.query<{ key: string }>(
          prepared(INGEST_BATCH, [name, batch]),
        ),
      isPgStorageFailure,
    );
    const inserted = new Set(r.rows.map((x) => x.key));
    // Not awaited: each 2xx waits for the commit above, not for the trim of older rows (retainLater).
    if (inserted.size) (this.collection<T>(name, options) as PostgresCollection<T>).retainLater(inserted.size);
    return items.map((i) => inserted.has(i.key));
  }

  async nextSequence(name: string): Promise<number> {
    const r = await this.pool.query<{ value: string }>(
      `INSERT INTO sequences (name, value) VALUES ($1, 1)
       ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value`,
      [name],
    );
    return Number(r.rows[0]!.value);
  }

  async appendLog(taskId: string, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    // One statement; WITH ORDINALITY keeps the caller's line order in the bigserial ids.
    await this.pool.query(
      `INSERT INTO task_logs (task_id, line)
       SELECT $1, l FROM unnest($2::text[]) WITH ORDINALITY AS t(l, n) ORDER BY n`,
      [taskId, lines.map((l) => l.replace(/\n/g, ' '))],
    );
  }

  async readLog(taskId: string, options: { tail?: number } = {}): Promise<string[]> {
    const r = await this.pool.query<{ line: string }>(
      `SELECT line FROM (SELECT id, line FROM task_logs WHERE task_id = $1 ORDER BY id DESC LIMIT $2) t ORDER BY id`,
      [taskId, options.tail ?? null],
    );
    return r.rows.map((x) => x.line);
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.pool.query('INSERT INTO audit (at, entry) VALUES ($1, $2::jsonb)', [entry.at, JSON.stringify(entry)]);
    if (++this.audits >= AUDIT_TRIM_EVERY) {
      this.audits = 0;
      await this.pool.query(
        'DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC OFFSET $1 LIMIT 1)',
        [AUDIT_MAX],
      );
    }
  }

  async listAudit(options: { limit?: number } = {}): Promise<AuditEntry[]> {
    const r = await this.pool.query<{ entry: AuditEntry }>('SELECT entry FROM audit ORDER BY id DESC LIMIT $1', [options.limit ?? null]);
    return r.rows.map((x) => x.entry);
  }
}
