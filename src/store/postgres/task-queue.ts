/**
 * Tasks across replicas on the `task_queue` table (issue 9 §3; docs/scale-out.md §0 flow 2 and §A.1):
 *
 * - claim: `FOR UPDATE SKIP LOCKED`, and only the oldest queued task of a lock key qualifies, and only
 *   while that key has nothing running → strict per-key FIFO with no head-of-line blocking across keys
 *   (measured in the doc: 600 tasks, 16 workers, 0 inversions). The partial unique index
 *   `(lock_key) WHERE state='running'` is the safety net: at most one running deploy per key, always;
 * - lease + heartbeat: a claimed task carries `lease_until`; the worker renews it; every write after the
 *   claim is fenced by (id, lease_owner, attempts), so a replica that lost its lease cannot complete,
 *   fail or renew a task somebody else now owns;
 * - reap: any replica moves expired leases back to queued (with backoff) or, when attempts are used up
 *   (deploys: maxAttempts 1), to failed with `last_error='interrupted: lease expired'` and returns them
 *   so the caller announces the interruption. A deploy is never silently re-run;
 * - dedupe keys make enqueue idempotent (webhook processing, escalation timers, cron slots).
 * Times are the database's clock (`now()`), never a replica's.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { prepared } from './prepared.ts';

/** A worker identity for lease ownership: unique per queue instance, readable in `lease_owner`. */
export const newWorkerId = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export type TaskState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TaskRow {
  id: string;
  kind: string;
  lockKey: string | null;
  dedupeKey: string | null;
  payload: unknown;
  state: TaskState;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
}

/** What a worker holds after a claim: the fencing token for every later write. */
export interface Claimed extends TaskRow {
  leaseOwner: string;
}

export interface EnqueueInput {
  kind: string;
  payload?: unknown;
  /** Serialize tasks sharing this key (e.g. `deploy:<product>:<env>`); null = no serialization. */
  lockKey?: string;
  /** Idempotency key: a second enqueue with it is a no-op (`created: false`). */
  dedupeKey?: string;
  /** Run no earlier than this many ms from now (escalation timers). */
  delayMs?: number;
  /** Deploys: 1 (an interrupted deploy fails, never re-runs). */
  maxAttempts?: number;
}

export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

interface DbRow {
  id: string; kind: string; lock_key: string | null; dedupe_key: string | null; payload: unknown; state: TaskState;
  run_at: Date; attempts: number; max_attempts: number; lease_owner: string | null; lease_until: Date | null; last_error: string | null;
}

const toTask = (r: DbRow): TaskRow => ({
  id: r.id, kind: r.kind, lockKey: r.lock_key, dedupeKey: r.dedupe_key, payload: r.payload, state: r.state,
  runAt: r.run_at, attempts: r.attempts, maxAttempts: r.max_attempts, leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until, lastError: r.last_error,
});

/** A task row's columns by name, not `*` (prepared.ts: a prepared statement's row type must not change). */
const TASK_COLUMNS = ['id', 'kind', 'lock_key', 'dedupe_key', 'payload', 'state', 'run_at', 'attempts', 'max_attempts', 'lease_owner', 'lease_until', 'last_error']
  .map((c) => `task_queue.${c}`)
  .join(', ');

/**
 * The claim, for one kind or a set of kinds. One kind (webhook processing, deploys) is matched with `=`,
 * so the `(kind, id) WHERE state = 'queued'` index (migration 0005) is walked in id order and the scan
 * stops at the first row that qualifies. `kind = ANY(…)` cannot be walked in order: PostgreSQL reads every
 * due queued row of those kinds and sorts them, per claim (7 ms with a 9 000-delivery backlog,
 * EXPLAIN ANALYZE); that stays for the timers, whose rows wait for their run_at in the due index.
 */
export const claimSql = (kindFilter: 't.kind = $3::text' | '($3::text[] IS NULL OR t.kind = ANY($3))'): string => `
WITH next AS (
  SELECT t.id FROM task_queue t
   WHERE t.state = 'queued' AND t.run_at <= now() AND ${kindFilter}
     AND (t.lock_key IS NULL OR (
          NOT EXISTS (SELECT 1 FROM task_queue r WHERE r.lock_key = t.lock_key AND r.state = 'running')
      AND NOT EXISTS (SELECT 1 FROM task_queue e WHERE e.lock_key = t.lock_key AND e.state = 'queued' AND e.id < t.id)))
   ORDER BY t.id LIMIT 1
   FOR UPDATE SKIP LOCKED)
UPDATE task_queue SET state = 'running', attempts = attempts + 1, lease_owner = $1,
       lease_until = now() + make_interval(secs => $2::double precision)
  FROM next WHERE task_queue.id = next.id
RETURNING ${TASK_COLUMNS}`;
const CLAIM_ONE_KIND = claimSql('t.kind = $3::text');
const CLAIM_KINDS = claimSql('($3::text[] IS NULL OR t.kind = ANY($3))');

const FENCE = `id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3`;

/** Inserts a task unless its dedupeKey exists; `db` may be a client inside an open transaction. */
export async function enqueueTask(db: Queryable, t: EnqueueInput): Promise<{ id: string | undefined; created: boolean }> {
  const r = await db.query<{ id: string }>(
    `INSERT INTO task_queue (kind, payload, lock_key, dedupe_key, run_at, max_attempts)
     VALUES ($1, $2::jsonb, $3, $4, now() + make_interval(secs => $5::double precision), $6)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [t.kind, JSON.stringify(t.payload ?? {}), t.lockKey ?? null, t.dedupeKey ?? null, (t.delayMs ?? 0) / 1000, t.maxAttempts ?? 5],
  );
  return { id: r.rows[0]?.id, created: r.rowCount === 1 };
}

export class PgTaskQueue {
  constructor(
    private readonly pool: pg.Pool,
    /** This replica's worker identity (e.g. `${hostname}:${pid}:${random}`). */
    readonly owner: string,
    readonly leaseMs = 30_000,
  ) {}

  /** Idempotent on dedupeKey. Pass `db` to enqueue inside the caller's transaction (ingest, §A.2). */
  enqueue(t: EnqueueInput, db: Queryable = this.pool): Promise<{ id: string | undefined; created: boolean }> {
    return enqueueTask(db, t);
  }

  /** Claims the next due task (optionally of the given kinds), or undefined when none qualifies. */
  async claim(kinds?: string[]): Promise<Claimed | undefined> {
    for (let i = 0; i < 5; i++) {
      try {
        const r =
          kinds?.length === 1
            ? await this.pool.query<DbRow>(prepared(CLAIM_ONE_KIND, [this.owner, this.leaseMs / 1000, kinds[0]]))
            : // Not prepared: `kind = ANY($3)`'s generic plan walks the primary key past every queued row.
              await this.pool.query<DbRow>(CLAIM_KINDS, [this.owner, this.leaseMs / 1000, kinds ?? null]);
        const row = r.rows[0];
        return row ? (toTask(row) as Claimed) : undefined;
      } catch (e) {
        // 23505: two workers raced two heads of one key past the NOT EXISTS; the unique index said no.
        if ((e as { code?: string }).code === '23505') continue;
        throw e;
      }
    }
    return undefined;
  }

  /** Renews the lease; false means the lease is lost: abort the handler (fencing). */
  async heartbeat(t: Claimed): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE task_queue SET lease_until = now() + make_interval(secs => $4::double precision) WHERE ${FENCE}`,
      [t.id, t.leaseOwner, t.attempts, this.leaseMs / 1000],
    );
    return r.rowCount === 1;
  }

  /** Marks success; false when this worker no longer owns the task (its result must be discarded). */
  async complete(t: Claimed): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE task_queue SET state = 'succeeded', finished_at = now(), lease_owner = NULL, lease_until = NULL WHERE ${FENCE}`,
      [t.id, t.leaseOwner, t.attempts],
    );
    return r.rowCount === 1;
  }

  /**
   * complete() and one more write in ONE statement (one round trip, one commit): `also` is an UPDATE
   * whose placeholders start at $4 and which may test `EXISTS (SELECT 1 FROM done)`, so it only writes
   * while this worker still owns the task (fenced like complete). Webhook processing stores the
   * delivery's outcome this way: a round trip is ~85 µs of this process's CPU here (writev), and
   * processing a delivery took seven of them.
   */
  async completeWith(t: Claimed, also: { sql: string; params: unknown[] }): Promise<boolean> {
    const r = await this.pool.query<{ completed: number }>(
      prepared(
        `WITH done AS (
           UPDATE task_queue SET state = 'succeeded', finished_at = now(), lease_owner = NULL, lease_until = NULL WHERE ${FENCE} RETURNING id),
         also AS (${also.sql} RETURNING 1)
         SELECT (SELECT count(*) FROM done)::int AS completed`,
        [t.id, t.leaseOwner, t.attempts, ...also.params],
      ),
    );
    return r.rows[0]?.completed === 1;
  }

  /** Hands a claim back as if it had never been claimed (the handler did not start it). Fenced. */
  async giveBack(t: Claimed): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE task_queue SET state = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL WHERE ${FENCE}`,
      [t.id, t.leaseOwner, t.attempts],
    );
    return r.rowCount === 1;
  }

  /** Fails the attempt: requeued with backoff while attempts remain, else failed. Fenced like complete. */
  async fail(t: Claimed, error: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE task_queue SET
         state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
         finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
         run_at = now() + make_interval(secs => least(300, 2 ^ attempts)),
         lease_owner = NULL, lease_until = NULL, last_error = $4
       WHERE ${FENCE}`,
      [t.id, t.leaseOwner, t.attempts, error],
    );
    return r.rowCount === 1;
  }

  /**
   * Expired leases (their replica died or froze): requeue with backoff, or fail as interrupted when
   * attempts are used up. Idempotent; run it from every replica every few seconds. Returns the rows
   * it changed, so the caller can announce interrupted deploys.
   */
  async reap(kinds?: string[]): Promise<{ requeued: TaskRow[]; interrupted: TaskRow[] }> {
    // Per kind: each kind's worker announces its own interrupted tasks (a webhook worker must not
    // swallow an interrupted deploy).
    const r = await this.pool.query<DbRow>(
      `UPDATE task_queue SET
         state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
         finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
         run_at = now() + make_interval(secs => least(300, 2 ^ attempts) * (0.5 + random() / 2)),
         last_error = CASE WHEN attempts >= max_attempts THEN 'interrupted: lease expired' ELSE 'lease expired' END,
         lease_owner = NULL, lease_until = NULL
       WHERE state = 'running' AND lease_until < now() AND ($1::text[] IS NULL OR kind = ANY($1))
       RETURNING *`,
      [kinds ?? null],
    );
    const rows = r.rows.map(toTask);
    return { requeued: rows.filter((t) => t.state === 'queued'), interrupted: rows.filter((t) => t.state === 'failed') };
  }

  /** Cancels a queued task by dedupe key (an acked alert cancels its escalation timer). */
  async cancel(dedupeKey: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE task_queue SET state = 'cancelled', finished_at = now() WHERE dedupe_key = $1 AND state = 'queued'`,
      [dedupeKey],
    );
    return r.rowCount === 1;
  }

  /** State of the rows with these dedupe keys (absent keys are missing from the map). */
  async statesByDedupeKey(keys: string[]): Promise<Map<string, TaskState>> {
    if (keys.length === 0) return new Map();
    const r = await this.pool.query<{ dedupe_key: string; state: TaskState }>(
      'SELECT dedupe_key, state FROM task_queue WHERE dedupe_key = ANY($1)',
      [keys],
    );
    return new Map(r.rows.map((x) => [x.dedupe_key, x.state]));
  }

  /** Lets a queued task run now (a held task: a deploy that waited for its approval). */
  async release(dedupeKey: string): Promise<boolean> {
    const r = await this.pool.query(`UPDATE task_queue SET run_at = now() WHERE dedupe_key = $1 AND state = 'queued'`, [dedupeKey]);
    return r.rowCount === 1;
  }

  /**
   * Deletes finished rows (succeeded, failed, cancelled) older than `olderThanMs`: dedupe keys are
   * unique forever, so without this the table grows by every delivery, timer and deploy.
   */
  async prune(olderThanMs: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM task_queue WHERE state IN ('succeeded', 'failed', 'cancelled')
         AND coalesce(finished_at, created_at) < now() - make_interval(secs => $1::double precision)`,
      [olderThanMs / 1000],
    );
    return r.rowCount ?? 0;
  }

  async get(id: string): Promise<TaskRow | undefined> {
    const r = await this.pool.query<DbRow>('SELECT * FROM task_queue WHERE id = $1', [id]);
    const row = r.rows[0];
    return row ? toTask(row) : undefined;
  }
}
