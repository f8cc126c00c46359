/**
 * Retention on the batched ingest path (postgres-store.ts insertManyIfAbsentWithTasks): the trim of
 * rows beyond maxItems runs after the commit, in the background, so a delivery's answer waits for the
 * commit of its own row only. Here the trim is held up for real, by another transaction's row locks on
 * the oldest rows (the DELETE waits for them): the batch still resolves, and the trim finishes once the
 * locks are gone.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { PostgresCollection } from '../../src/store/postgres/collection.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import type { CollectionOptions } from '../../src/store/types.ts';
import { usePostgres } from '../helpers/pg.ts';

const cluster = usePostgres();
const OPTIONS: CollectionOptions = { tier: 'bulk', maxItems: 5 };
const items = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: { n: from + i }, task: { kind: 'retention_test', dedupeKey: `t${from + i}` } }));

/** 'settled' if `p` settles within `ms`, else 'pending'. */
async function stillPending(p: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => 'settled'), new Promise<string>((res) => (timer = setTimeout(() => res('pending'), ms)))]);
  clearTimeout(timer);
  return r;
}

describe('postgres retention on batched ingest', () => {
  it('a trim held up by row locks does not hold up the batch that triggered it; it finishes once they go', async () => {
    const url = await cluster.current.freshDatabase();
    const s = new PostgresStore({ url, poolSize: 4 });
    await s.init();
    try {
      await trimHeldUpByLocks(s, url);
    } finally {
      await s.close();
    }
  });
});

/** Five rows stored; another session locks them; three more are inserted and trigger a trim of three. */
async function trimHeldUpByLocks(s: PostgresStore, url: string): Promise<void> {
  expect(await s.insertManyIfAbsentWithTasks('ret', OPTIONS, items(0, 5))).toEqual([true, true, true, true, true]);
  const col = s.collection<{ n: number }>('ret', OPTIONS) as PostgresCollection<{ n: number }>;
  await col.settled();

  // Another session locks every stored row: a DELETE of any of them waits until it ends.
  const locker = new pg.Client({ connectionString: url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query(`SELECT key FROM documents WHERE collection = 'ret' FOR UPDATE`);
  try {
    // The new rows conflict with no lock: the batch commits and answers although its trim is stuck.
    const inserted = s.insertManyIfAbsentWithTasks('ret', OPTIONS, items(5, 3));
    expect(await stillPending(inserted, 10_000)).toBe('settled');
    expect(await inserted).toEqual([true, true, true]);
    expect(await stillPending(col.settled(), 300)).toBe('pending');
    expect((await col.list()).length).toBe(8);
  } finally {
    await locker.query('ROLLBACK');
    await locker.end();
  }
  await col.settled();
  expect(col.trimError).toBeUndefined();
  expect((await col.list()).map((d) => d.n)).toEqual([3, 4, 5, 6, 7]);
}
