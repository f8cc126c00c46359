/**
 * PostgresStore against a real PostgreSQL (tests/helpers/pg.ts starts a throwaway cluster with default,
 * durable settings). It runs the shared Store contract (store-contract.ts, the same suite as
 * the lowdb and memory drivers), then what only a shared database can show: several replicas racing.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { createStore } from '../../src/store/create-store.ts';
import { MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';
import { storeContract } from './store-contract.ts';

const cluster = usePostgres();

async function replica(url: string, poolSize = 10): Promise<PostgresStore> {
  const s = new PostgresStore({ url, poolSize });
  await s.init();
  return s;
}
const make = async () => replica(await cluster.current.freshDatabase());

storeContract('postgres', make);

describe('postgres store: details of the spec', () => {
  it('put keeps a replaced key in place; update to undefined deletes; filtered lists page and limit', async () => {
    const s = await make();
    const c = s.collection<{ n: number; tag?: string }>('docs', { tier: 'hot' });
    await c.put('x', { n: 1 });
    await c.put('y', { n: 2 });
    await c.put('x', { n: 3 }); // replaced, stays first (Map.set semantics)
    expect(await c.list()).toEqual([{ n: 3 }, { n: 2 }]);
    expect(await c.update('y', () => undefined)).toBeUndefined();
    expect(await c.get('y')).toBeUndefined();
    expect(await c.update('nope', () => undefined)).toBeUndefined();
    expect(await c.count()).toBe(1);
    // 1200 docs span three keyset pages of 500
    await Promise.all(Array.from({ length: 1200 }, (_, i) => c.put(`k${String(i).padStart(4, '0')}`, { n: i, tag: i % 2 ? 'odd' : 'even' })));
    const odd = await c.list({ filter: (d) => d.tag === 'odd' });
    expect(odd).toHaveLength(600);
    const newestOdd = await c.list({ filter: (d) => d.tag === 'odd', newestFirst: true, limit: 2 });
    expect(newestOdd).toHaveLength(2);
    expect(newestOdd[0]!.tag).toBe('odd');
    // arrays, strings and nested values round-trip as JSON
    const any = s.collection<unknown>('any', { tier: 'hot' });
    await any.put('arr', [1, 'two', { three: 3 }]);
    await any.put('str', 'hello');
    expect(await any.get('arr')).toEqual([1, 'two', { three: 3 }]);
    expect(await any.get('str')).toBe('hello');
    expect(await s.readLog('none')).toEqual([]);
    await s.appendLog('multi', ['l1\nl2']);
    expect(await s.readLog('multi')).toEqual(['l1 l2']);
    await s.close();
  });

  it('bulk retention by age drops documents older than maxAgeMs', async () => {
    const s = await make();
    const c = s.collection<number>('seen', { tier: 'bulk', maxAgeMs: 300 });
    await c.put('old', 1);
    await new Promise((r) => setTimeout(r, 400));
    await c.put('new', 2);
    expect(await c.list()).toEqual([2]);
    await s.close();
  });

  it('a large bulk cap is enforced within 10% and trims in batches', async () => {
    const s = await make();
    const c = s.collection<number>('big', { tier: 'bulk', maxItems: 100 });
    for (let i = 0; i < 300; i++) await c.insertIfAbsent(`k${i}`, i);
    const n = await c.count();
    expect(n).toBeGreaterThanOrEqual(100);
    expect(n).toBeLessThanOrEqual(110);
    expect(await c.list({ newestFirst: true, limit: 1 })).toEqual([299]);
    expect(await c.get('k0')).toBeUndefined();
    await s.close();
  });

  it('survives a reconnect: a new store on the same database sees everything acknowledged', async () => {
    const url = await cluster.current.freshDatabase();
    const a = await replica(url);
    await a.collection('tasks', { tier: 'hot' }).put('1', { state: 'running' });
    await a.nextSequence('task');
    await a.close();
    const b = await replica(url);
    expect(await b.collection('tasks', { tier: 'hot' }).get('1')).toEqual({ state: 'running' });
    expect(await b.nextSequence('task')).toBe(2);
    await b.close();
  });
});

describe('postgres store: several replicas on one database', () => {
  it('migrations run concurrently from 3 instances without error, once', async () => {
    const url = await cluster.current.freshDatabase();
    const stores = [0, 1, 2].map(() => new PostgresStore({ url, poolSize: 2 }));
    await Promise.all(stores.map((s) => s.init()));
    const r = await stores[0]!.pool.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(r.rows.map((x) => x.id)).toEqual(MIGRATIONS.map((m) => m.id));
    // and a later start is a no-op
    await stores[1]!.init();
    await Promise.all(stores.map((s) => s.close()));
  });

  it('two replicas racing insertIfAbsent on the same key, 100 keys: exactly one true per key', async () => {
    const url = await cluster.current.freshDatabase();
    const [a, b] = [await replica(url), await replica(url)];
    const ca = a.collection<{ by: string }>('deliveries', { tier: 'bulk', maxItems: 5000 });
    const cb = b.collection<{ by: string }>('deliveries', { tier: 'bulk', maxItems: 5000 });
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const [x, y] = await Promise.all([ca.insertIfAbsent(`d${i}`, { by: 'a' }), cb.insertIfAbsent(`d${i}`, { by: 'b' })]);
        return Number(x) + Number(y);
      }),
    );
    expect(results).toEqual(Array(100).fill(1));
    expect(await ca.count()).toBe(100);
    await Promise.all([a.close(), b.close()]);
  });

  it('concurrent update increments from two replicas lose nothing (also on a key that starts absent)', async () => {
    const url = await cluster.current.freshDatabase();
    const [a, b] = [await replica(url, 5), await replica(url, 5)];
    const inc = (s: PostgresStore, key: string) =>
      s.collection<{ n: number }>('counters', { tier: 'hot' }).update(key, (cur) => ({ n: (cur?.n ?? 0) + 1 }));
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => [inc(a, 'hot'), inc(b, 'hot'), inc(i % 2 ? a : b, `fresh${i % 10}`)]).flat(),
    );
    expect(await a.collection<{ n: number }>('counters', { tier: 'hot' }).get('hot')).toEqual({ n: 200 });
    for (let k = 0; k < 10; k++) expect(await b.collection<{ n: number }>('counters', { tier: 'hot' }).get(`fresh${k}`)).toEqual({ n: 10 });
    await Promise.all([a.close(), b.close()]);
  });

  it('nextSequence from two replicas hands out each number once', async () => {
    const url = await cluster.current.freshDatabase();
    const [a, b] = [await replica(url), await replica(url)];
    const got = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).nextSequence('task')));
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await Promise.all([a.close(), b.close()]);
  });

  it('every pooled connection commits with synchronous_commit=on', async () => {
    const url = await cluster.current.freshDatabase();
    // even when the database default says off
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET synchronous_commit = off`);
    await admin.end();
    const s = await replica(url);
    const r = await s.pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    expect(r.rows[0]!.synchronous_commit).toBe('on');
    await s.close();
  });
});

describe('createStore wiring', () => {
  it('storage.driver: postgres with storage.url gives a migrated PostgresStore; no url is a clear error', async () => {
    const url = await cluster.current.freshDatabase();
    const s = await createStore({ storage: { driver: 'postgres', url, dataDir: 'unused', deliveriesRetention: 5000 } } as Config);
    expect(s.driver).toBe('postgres');
    expect(await s.collection('x', { tier: 'hot' }).insertIfAbsent('k', 1)).toBe(true);
    await s.close();
    await expect(createStore({ storage: { driver: 'postgres', dataDir: 'unused', deliveriesRetention: 5000 } } as Config)).rejects.toThrow(/storage\.url/);
  });
});
