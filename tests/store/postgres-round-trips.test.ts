/**
 * What processing a delivery costs on PostgreSQL (issue 22): the claim walks an index in id order
 * instead of sorting the backlog, the outcome is written with the task's completion and fenced by it,
 * and concurrent updates of one key from one process do not race each other into the locked path.
 */
import { describe, expect, it } from 'vitest';
import { claimSql, PgTaskQueue } from '../../src/store/postgres/task-queue.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';

const cluster = usePostgres();

async function store(url: string): Promise<PostgresStore> {
  const s = new PostgresStore({ url, poolSize: 6 });
  await s.init();
  return s;
}

/** A backlog for the claim: 5 000 finished tasks, then 5 000 queued ones (analysed, as a table in use would be). */
async function claimBacklog(s: PostgresStore): Promise<void> {
  await s.pool.query(`INSERT INTO task_queue (kind, payload, state, finished_at) SELECT 'process_webhook', '{}', 'succeeded', now() FROM generate_series(1, 5000)`);
  await s.pool.query(`INSERT INTO task_queue (kind, payload) SELECT 'process_webhook', '{}' FROM generate_series(1, 5000)`);
  await s.pool.query('ANALYZE task_queue');
}

/** The plan's node types, flattened (EXPLAIN FORMAT JSON). */
function nodeTypes(plan: { 'Node Type': string; Plans?: unknown[] }): string[] {
  return [plan['Node Type'], ...((plan.Plans ?? []) as (typeof plan)[]).flatMap(nodeTypes)];
}

/**
 * The one-kind claim's plan node types, as planned for one call or (generic) as a prepared statement may be
 * run after five executions (forced here with plan_cache_mode). EXPLAIN without ANALYZE runs nothing.
 */
async function claimPlan(s: PostgresStore, generic: boolean): Promise<string[]> {
  const c = await s.pool.connect();
  try {
    await c.query('BEGIN');
    let r: { rows: { 'QUERY PLAN': [{ Plan: { 'Node Type': string } }] }[] };
    if (generic) {
      await c.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await c.query(`PREPARE generic_claim(text, float8, text) AS ${claimSql('t.kind = $3::text')}`);
      r = await c.query(`EXPLAIN (FORMAT JSON) EXECUTE generic_claim('w', 30, 'process_webhook')`);
      await c.query('DEALLOCATE generic_claim');
    } else {
      r = await c.query(`EXPLAIN (FORMAT JSON) ${claimSql('t.kind = $3::text')}`, ['w', 30, 'process_webhook']);
    }
    await c.query('ROLLBACK');
    return nodeTypes(r.rows[0]!['QUERY PLAN'][0].Plan);
  } finally {
    c.release();
  }
}

describe('postgres processing round trips', () => {
  it('the one-kind claim over a 5 000-task backlog and older finished tasks reads an index in order: no sort', async () => {
    const s = await store(await cluster.current.freshDatabase());
    try {
      await claimBacklog(s);
      const types = await claimPlan(s, false);
      expect(types).not.toContain('Sort');
      expect(types).toContain('Index Scan');
      // and it takes the oldest queued one
      const q = new PgTaskQueue(s.pool, 'w');
      const t = await q.claim(['process_webhook']);
      expect(Number(t!.id)).toBe(5001);
    } finally {
      await s.close();
    }
  });

  it('its generic plan (the claim is a prepared statement: postgres/prepared.ts) walks the same index: no sort', async () => {
    const s = await store(await cluster.current.freshDatabase());
    try {
      await claimBacklog(s);
      const types = await claimPlan(s, true);
      expect(types).not.toContain('Sort');
      expect(types).toContain('Index Scan');
    } finally {
      await s.close();
    }
  });

  it('completeWith writes the extra statement only while the worker holds the lease', async () => {
    const s = await store(await cluster.current.freshDatabase());
    try {
      const col = s.collection<{ n: number }>('things', { tier: 'hot' });
      await col.put('a', { n: 0 });
      const q = new PgTaskQueue(s.pool, 'w1', 30_000);
      await q.enqueue({ kind: 'k' });
      const t = (await q.claim(['k']))!;
      const bump = { sql: `UPDATE documents SET doc = jsonb_build_object('n', (doc ->> 'n')::int + 1) WHERE collection = $4 AND key = $5 AND EXISTS (SELECT 1 FROM done)`, params: ['things', 'a'] };
      // Another owner took it (a reaped lease): fenced out, nothing written.
      expect(await q.completeWith({ ...t, leaseOwner: 'someone-else' }, bump)).toBe(false);
      expect((await col.get('a'))?.n).toBe(0);
      expect(await q.completeWith(t, bump)).toBe(true);
      expect((await col.get('a'))?.n).toBe(1);
      expect((await q.get(t.id))?.state).toBe('succeeded');
      // Once complete, a second completion is refused as well.
      expect(await q.completeWith(t, bump)).toBe(false);
      expect((await col.get('a'))?.n).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('40 concurrent updates of one key from one process: all applied, none through the locked retry', async () => {
    const s = await store(await cluster.current.freshDatabase());
    try {
      const col = s.collection<{ n: number }>('counters', { tier: 'hot' });
      await col.put('hot', { n: 0 });
      const sqls: string[] = [];
      const query = s.pool.query.bind(s.pool);
      s.pool.query = ((text: unknown, ...rest: unknown[]) => {
        sqls.push(String(typeof text === 'string' ? text : (text as { text: string }).text));
        return (query as (...a: unknown[]) => unknown)(text, ...rest);
      }) as typeof s.pool.query;
      let connects = 0;
      const connect = s.pool.connect.bind(s.pool);
      // pool.query checks out a client with a callback; withTransaction awaits connect() without one.
      s.pool.connect = ((...args: unknown[]) => {
        if (args.length === 0) connects++;
        return (connect as (...a: unknown[]) => unknown)(...args);
      }) as typeof s.pool.connect;
      const results = await Promise.all(Array.from({ length: 40 }, () => col.update('hot', (c) => ({ n: (c?.n ?? 0) + 1 }))));
      expect((await col.get('hot'))?.n).toBe(40);
      // Each caller sees its own step (the updates ran one after another).
      expect(results.map((r) => r!.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(sqls.filter((q) => q.includes('xmin = $3')).length).toBe(40);
      // The locked retry is a transaction on a checked-out client (withTransaction → pool.connect).
      expect(connects).toBe(0);
    } finally {
      await s.close();
    }
  });
});
