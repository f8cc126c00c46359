/**
 * The hot statements run as named (prepared) statements (src/store/postgres/prepared.ts): parsed once per
 * pooled connection instead of per call, and safe against a later migration's new column. The claim's
 * generic plan is checked in postgres-round-trips.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { claimSql, PgTaskQueue } from '../../src/store/postgres/task-queue.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';

const cluster = usePostgres();

describe('postgres prepared statements', () => {
  it('ingest, claim, completion and document reads are each prepared once on a connection, however often they run', async () => {
    // One pooled connection: every statement below runs on it, and so does the look into pg_prepared_statements.
    const s = new PostgresStore({ url: await cluster.current.freshDatabase(), poolSize: 1 });
    await s.init();
    try {
      const q = new PgTaskQueue(s.pool, 'w1', 30_000);
      const col = s.collection<{ n: number }>('things', { tier: 'hot' });
      for (let i = 0; i < 8; i++) {
        const inserted = await s.insertManyIfAbsentWithTasks('deliveries', { tier: 'bulk' }, [{ key: `d${i}`, value: { i }, task: { kind: 'k', dedupeKey: `wh:d${i}` } }]);
        expect(inserted).toEqual([true]);
        const t = (await q.claim(['k']))!;
        expect(t.kind).toBe('k');
        await col.update('a', (cur) => ({ n: (cur?.n ?? 0) + 1 }));
        expect(await col.get('a')).toEqual({ n: i + 1 });
        const bump = { sql: `UPDATE documents SET doc = doc WHERE collection = $4 AND key = $5 AND EXISTS (SELECT 1 FROM done)`, params: ['things', 'a'] };
        expect(await q.completeWith(t, bump)).toBe(true);
      }
      const r = await s.pool.query<{ name: string; statement: string }>(`SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'opsbot\\_%'`);
      const has = (needle: string) => r.rows.filter((x) => x.statement.includes(needle)).length;
      expect(has('FROM jsonb_array_elements($2::jsonb)')).toBe(1);
      expect(has("UPDATE task_queue SET state = 'running'")).toBe(1);
      expect(has('WITH done AS')).toBe(1);
      expect(has('SELECT doc FROM documents WHERE collection = $1 AND key = $2')).toBe(1);
      expect(has('SELECT doc, xmin::text AS v')).toBe(1);
      // 8 runs of each, yet one prepared statement per text: the names are stable.
      expect(new Set(r.rows.map((x) => x.name)).size).toBe(r.rows.length);
      const counts = await s.pool.query<{ n: string }>(`SELECT count(*) AS n FROM task_queue WHERE state = 'succeeded'`);
      expect(Number(counts.rows[0]!.n)).toBe(8);
    } finally {
      await s.close();
    }
  });

  it("a column added while a replica runs does not break its prepared claim (a `RETURNING *` one would)", async () => {
    const s = new PostgresStore({ url: await cluster.current.freshDatabase(), poolSize: 1 });
    await s.init();
    try {
      const q = new PgTaskQueue(s.pool, 'w1', 30_000);
      await q.enqueue({ kind: 'k' });
      await q.enqueue({ kind: 'k' });
      await q.enqueue({ kind: 'k' });
      expect(await q.claim(['k'])).toBeDefined();
      // The control: the same claim returning `*`, prepared on the same connection before the new column.
      await s.pool.query(`PREPARE star_claim(text, float8, text) AS ${claimSql('t.kind = $3::text').replace(/RETURNING [\s\S]*$/, 'RETURNING task_queue.*')}`);
      await s.pool.query(`EXECUTE star_claim('w1', 30, 'k')`);
      await s.pool.query('ALTER TABLE task_queue ADD COLUMN added_later int');
      await expect(s.pool.query(`EXECUTE star_claim('w1', 30, 'k')`)).rejects.toThrow(/cached plan must not change result type/);
      const t = await q.claim(['k']);
      expect(t?.state).toBe('running');
    } finally {
      await s.close();
    }
  });
});
