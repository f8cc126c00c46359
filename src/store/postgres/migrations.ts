/**
 * Schema migrations for the PostgreSQL store, applied at start by every replica.
 *
 * Safe when several replicas start at once: the whole run is one transaction that first takes
 * `pg_advisory_xact_lock`, so the second replica waits, then sees the rows the first one recorded in
 * `schema_migrations` and applies nothing (docs/scale-out.md §4 "plain SQL + a ~40-line runner").
 * The lock is taken before any DDL, because even `CREATE TABLE IF NOT EXISTS` races with itself.
 * Migrations are append-only: never edit a shipped entry, add a new id.
 */
import type pg from 'pg';

/** Advisory-lock namespace (first int of the two-int form) for opsbot; the second int says what. */
export const LOCK_NAMESPACE = 0x6f707362; // 'opsb'
const MIGRATION_LOCK = 1;

export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    id: '0001-store',
    sql: `
      CREATE TABLE documents (
        collection  text NOT NULL,
        key         text NOT NULL,
        doc         jsonb NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        seq         bigserial NOT NULL,
        PRIMARY KEY (collection, key)
      );
      -- insertion order (list, maxItems trim) and age (maxAgeMs trim) within a collection
      CREATE INDEX documents_order ON documents (collection, seq);
      CREATE INDEX documents_age ON documents (collection, inserted_at);

      CREATE TABLE sequences (
        name  text PRIMARY KEY,
        value bigint NOT NULL
      );

      CREATE TABLE task_logs (
        id      bigserial PRIMARY KEY,
        task_id text NOT NULL,
        line    text NOT NULL
      );
      CREATE INDEX task_logs_task ON task_logs (task_id, id);

      CREATE TABLE audit (
        id    bigserial PRIMARY KEY,
        at    text NOT NULL,
        entry jsonb NOT NULL
      );
    `,
  },
  {
    // Tasks across replicas (docs/scale-out.md §A.1); used by postgres/task-queue.ts.
    id: '0002-task-queue',
    sql: `
      CREATE TABLE task_queue (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind         text NOT NULL,
        lock_key     text,
        dedupe_key   text UNIQUE,
        payload      jsonb NOT NULL DEFAULT '{}',
        state        text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        run_at       timestamptz NOT NULL DEFAULT now(),
        attempts     int NOT NULL DEFAULT 0,
        max_attempts int NOT NULL DEFAULT 5,
        lease_owner  text,
        lease_until  timestamptz,
        last_error   text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        finished_at  timestamptz
      );
      -- at most one running task per lock key (e.g. deploy:<product>:<env>), enforced by the database
      CREATE UNIQUE INDEX task_queue_one_running_per_key ON task_queue (lock_key) WHERE state = 'running';
      CREATE INDEX task_queue_due ON task_queue (run_at, id) WHERE state = 'queued';
      CREATE INDEX task_queue_queued_key ON task_queue (lock_key, id) WHERE state = 'queued';
      CREATE INDEX task_queue_leases ON task_queue (lease_until) WHERE state = 'running';
    `,
  },
  {
    // Outbound chat budget across replicas (issue 9 §5, docs/scale-out.md §0 flow 5); used by
    // postgres/outbox-ledger.ts. chat_sends = the per-chat sliding send window (DB clock); outbox = the
    // over-budget messages waiting (every row is pending: a claim deletes it). Coalescing is per chat,
    // as in the in-memory outbox: the same cardKey in two chats is two cards.
    id: '0003-outbox',
    sql: `
      CREATE TABLE chat_sends (
        id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        chat    text NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX chat_sends_window ON chat_sends (chat, sent_at);

      CREATE TABLE outbox (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        chat         text NOT NULL,
        coalesce_key text,
        payload      jsonb NOT NULL,
        state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending')),
        queued_at    timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE UNIQUE INDEX outbox_pending_coalesce ON outbox (chat, coalesce_key) WHERE state = 'pending';
      CREATE INDEX outbox_pending_chat ON outbox (chat, id) WHERE state = 'pending';
    `,
  },
  {
    // The durable outbox (issue "Delivery to people" 1; postgres/outbox-ledger.ts): every message is a
    // row from before its first attempt until sent; 'sending' rows carry a lease (a replica that dies
    // mid-attempt loses it), 'dead' ones are kept for /outbox. lane = chat, or 'reply:'||chat for replies.
    // Coalescing now covers the row in flight too (its version tells the sender to send again).
    id: '0004-durable-outbox',
    sql: `
      ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
      ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'sending', 'dead'));
      ALTER TABLE outbox
        ADD COLUMN lane        text,
        ADD COLUMN platform    text NOT NULL DEFAULT '',
        ADD COLUMN reply       boolean NOT NULL DEFAULT false,
        ADD COLUMN version     int NOT NULL DEFAULT 1,
        ADD COLUMN attempts    int NOT NULL DEFAULT 0,
        ADD COLUMN not_before  timestamptz NOT NULL DEFAULT '-infinity',
        ADD COLUMN lease_until timestamptz,
        ADD COLUMN last_error  text,
        ADD COLUMN dead_reason text;
      UPDATE outbox SET lane = chat, platform = split_part(chat, ':', 1);
      ALTER TABLE outbox ALTER COLUMN lane SET NOT NULL;
      DROP INDEX outbox_pending_coalesce;
      DROP INDEX outbox_pending_chat;
      CREATE UNIQUE INDEX outbox_live_coalesce ON outbox (chat, coalesce_key) WHERE state <> 'dead' AND NOT reply;
      CREATE INDEX outbox_live_lane ON outbox (lane, id) WHERE state <> 'dead';
      CREATE INDEX outbox_leases ON outbox (lease_until) WHERE state = 'sending';
    `,
  },
  {
    // The claim (task-queue.ts CLAIM) takes the oldest queued task: `ORDER BY id LIMIT 1` over the
    // queued rows. With only (run_at, id) to go by, the planner read every due queued row and sorted
    // them, per claim: 4 ms each with a 17 000-delivery backlog (pg_stat_statements, issue 22), so
    // processing slowed as the backlog grew. Walking this index in id order stops at the first that qualifies.
    id: '0005-task-queue-oldest-queued',
    sql: `CREATE INDEX task_queue_queued_oldest ON task_queue (kind, id) WHERE state = 'queued';`,
  },
  {
    // A delivery document (a 4 KB Sentry body) is over the ~2 KB TOAST threshold, so every insert
    // compresses it; with the default pglz that was a quarter of PostgreSQL's CPU per delivery in the
    // ingest bench (171 against 125 µs with lz4, same run). lz4 needs PostgreSQL 14+ built --with-lz4
    // (Debian's is): elsewhere the column keeps pglz rather than the store failing to start.
    id: '0006-documents-lz4',
    sql: `DO $$ BEGIN
            EXECUTE 'ALTER TABLE documents ALTER COLUMN doc SET COMPRESSION lz4';
          EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'documents.doc keeps its compression: %', SQLERRM;
          END $$;`,
  },
  {
    // Outbox recovery after a platform outage (outbox.ts recovered, OutboxLedger.wake): a row may be retried
    // as soon as the platform answers again, but never before `hold_until`, the platform's own wait
    // (Retry-After, DingTalk's 10-minute throttle for errcode 130101).
    id: '0007-outbox-hold-until',
    sql: `ALTER TABLE outbox ADD COLUMN hold_until timestamptz;`,
  },
];

/** Applies every migration not yet recorded, in order, in one transaction under the advisory lock. */
export async function migrate(pool: pg.Pool, migrations: Migration[] = MIGRATIONS): Promise<string[]> {
  const c = await pool.connect();
  const applied: string[] = [];
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await c.query<{ id: string }>('SELECT id FROM schema_migrations');
    const done = new Set(rows.map((r) => r.id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      applied.push(m.id);
    }
    await c.query('COMMIT');
    return applied;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}
