/**
 * Group commit of ingest on a real PostgreSQL (src/store/postgres/group-commit.ts, issue 22 §3):
 * concurrent deliveries share a statement and a commit, each caller still learns whether its own
 * delivery was new, repeats (in the batch, across batches, across replicas) are stored once with one
 * task, and a batch that cannot commit fails every caller and leaves nothing behind.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DeliveryInput } from '../../src/core/deliveries.ts';
import { StorageUnavailableError } from '../../src/core/errors.ts';
import { GroupCommit } from '../../src/store/postgres/group-commit.ts';
import { PgDeliveryPipeline } from '../../src/store/postgres/delivery-pipeline.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';

const cluster = usePostgres();
const log = pino({ level: 'silent' });

async function replica(url: string): Promise<PostgresStore> {
  const s = new PostgresStore({ url, poolSize: 6 });
  await s.init();
  return s;
}

const delivery = (key: string): DeliveryInput => ({ source: 'sentry', kind: 'issue.created', dedupeKey: key, headers: {}, body: `{"k":"${key}"}`, receivedAt: Date.now() });

async function taskCount(s: PostgresStore): Promise<number> {
  const r = await s.pool.query<{ n: string }>(`SELECT count(*) AS n FROM task_queue WHERE kind = 'process_webhook'`);
  return Number(r.rows[0]!.n);
}

describe('postgres group commit', () => {
  it('300 concurrent deliveries commit in far fewer statements; every one is stored once with one task', async () => {
    const s = await replica(await cluster.current.freshDatabase());
    const p = new PgDeliveryPipeline(s, log);
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => p.accept(delivery(`d${i}`))));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(p.groupCommit.items).toBe(300);
    // At most two flushes in flight, so the rest wait and join: far fewer commits than deliveries.
    expect(p.groupCommit.flushes).toBeLessThan(30);
    expect(p.groupCommit.largest).toBeGreaterThan(10);
    expect(await s.collection('deliveries', { tier: 'bulk' }).count()).toBe(300);
    expect(await taskCount(s)).toBe(300);
    await p.stop();
    await s.close();
  });

  it('a repeat in the same batch, in a later batch and on another replica is a duplicate, stored once', async () => {
    const url = await cluster.current.freshDatabase();
    const [a, b] = [await replica(url), await replica(url)];
    const [pa, pb] = [new PgDeliveryPipeline(a, log), new PgDeliveryPipeline(b, log)];
    const same = await Promise.all([pa.accept(delivery('x')), pa.accept(delivery('x')), pa.accept(delivery('y'))]);
    expect(same.map((r) => r.duplicate)).toEqual([false, true, false]);
    expect((await pa.accept(delivery('x'))).duplicate).toBe(true);
    const both = await Promise.all(Array.from({ length: 40 }, (_, i) => Promise.all([pa.accept(delivery(`r${i}`)), pb.accept(delivery(`r${i}`))])));
    for (const [x, y] of both) expect(Number(!x.duplicate) + Number(!y.duplicate)).toBe(1);
    expect(await a.collection('deliveries', { tier: 'bulk' }).count()).toBe(42);
    expect(await taskCount(a)).toBe(42);
    await Promise.all([pa.stop(), pb.stop()]);
    await Promise.all([a.close(), b.close()]);
  });

  it('a batch the database refuses fails every caller with StorageUnavailableError and stores nothing', async () => {
    const url = await cluster.current.freshDatabase();
    const s = await replica(url);
    const db = new URL(url).pathname.slice(1);
    await s.pool.query(`ALTER DATABASE ${db} SET default_transaction_read_only = on`);
    // Sessions opened after the ALTER are read-only (25006); the schema is already there, so no init.
    const ro = new PostgresStore({ url, poolSize: 6 });
    const p = new PgDeliveryPipeline(ro, log);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => p.accept(delivery(`f${i}`))));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof StorageUnavailableError)).toBe(true);
    await s.pool.query(`ALTER DATABASE ${db} SET default_transaction_read_only = off`);
    expect(await s.collection('deliveries', { tier: 'bulk' }).count()).toBe(0);
    expect(await taskCount(s)).toBe(0);
    await p.stop();
    await Promise.all([s.close(), ro.close()]);
  });

  it('GroupCommit: results reach their own callers in order; a flush that throws rejects only its batch', async () => {
    let calls = 0;
    const gc = new GroupCommit<number, number>(async (items) => {
      calls++;
      if (items.includes(-1)) throw new Error('refused');
      await new Promise((r) => setTimeout(r, 5));
      return items.map((i) => i * 2);
    }, { maxInFlight: 1 });
    const ok = await Promise.all([1, 2, 3].map((i) => gc.add(i)));
    expect(ok).toEqual([2, 4, 6]);
    expect(calls).toBe(1);
    const mixed = await Promise.allSettled([gc.add(-1), gc.add(5)]);
    expect(mixed[0]!.status).toBe('rejected');
    expect(mixed[1]!.status).toBe('rejected'); // same batch: nothing of it committed
    expect(await gc.add(7)).toBe(14);
  });
});
