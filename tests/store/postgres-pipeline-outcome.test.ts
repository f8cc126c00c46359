/**
 * The PostgreSQL pipeline's processing side on a real PostgreSQL: the outcome is written in one
 * statement (status, attempts + 1, the error of a failed one, the rest of the document untouched),
 * and an issue's state change is processed after the events accepted before it (order-gate.ts).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DeliveryInput, StoredDelivery } from '../../src/core/deliveries.ts';
import { PgDeliveryPipeline } from '../../src/store/postgres/delivery-pipeline.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';

const cluster = usePostgres();
const log = pino({ level: 'silent' });
const delivery = (key: string, o: Partial<DeliveryInput> = {}): DeliveryInput => ({ source: 'sentry', kind: 'issue.created', dedupeKey: key, headers: { 'x-a': '1' }, body: `{"k":"${key}"}`, receivedAt: 1, ...o });

async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (await cond()) return;
  throw new Error('timed out');
}

describe('postgres pipeline: outcomes and order', () => {
  it('processed and failed outcomes are stored with attempts and error; events before the resolve run first', async () => {
    const s = new PostgresStore({ url: await cluster.current.freshDatabase(), poolSize: 8 });
    await s.init();
    const p = new PgDeliveryPipeline(s, log);
    const seen: string[] = [];
    p.onProcess('sentry', async (d) => {
      await new Promise((r) => setTimeout(r, d.dedupeKey.startsWith('e') ? 40 : 1));
      seen.push(d.dedupeKey);
      if (d.dedupeKey === 'bad') throw new Error('cannot map it');
    });
    await p.recover(); // starts the task worker
    for (const k of ['e1', 'e2', 'e3']) await p.accept(delivery(k, { orderKey: 'issue:1', orderShared: true }));
    await p.accept(delivery('resolve', { orderKey: 'issue:1' }));
    await p.accept(delivery('bad'));
    const col = s.collection<StoredDelivery>('deliveries', { tier: 'bulk' });
    await until(async () => (await col.list()).every((d) => d.status !== 'pending'));
    expect(seen.indexOf('resolve')).toBeGreaterThan(Math.max(seen.indexOf('e1'), seen.indexOf('e2'), seen.indexOf('e3')));
    const ok = await col.get('sentry:e1');
    expect(ok).toMatchObject({ status: 'processed', attempts: 1, body: '{"k":"e1"}', headers: { 'x-a': '1' }, orderKey: 'issue:1', orderShared: true });
    expect(ok).not.toHaveProperty('error');
    expect(await col.get('sentry:bad')).toMatchObject({ status: 'failed', attempts: 1, error: 'cannot map it', body: '{"k":"bad"}' });
    await p.stop();
    await s.close();
  });

  it('pendingBySource counts what is stored and not processed, by source, in SQL', async () => {
    const s = new PostgresStore({ url: await cluster.current.freshDatabase(), poolSize: 4 });
    await s.init();
    const p = new PgDeliveryPipeline(s, log); // no recover(): nothing is processed
    for (const k of ['a', 'b', 'c']) await p.accept(delivery(k));
    await p.accept(delivery('g1', { source: 'gitlab' }));
    await p.accept(delivery('a')); // a duplicate is not counted twice
    expect(Object.fromEntries(await p.pendingBySource())).toEqual({ sentry: 3, gitlab: 1 });
    await s.pool.query(`UPDATE documents SET doc = doc || '{"status":"processed"}' WHERE key = 'sentry:b'`);
    expect(Object.fromEntries(await p.pendingBySource())).toEqual({ sentry: 2, gitlab: 1 });
    await p.stop();
    await s.close();
  });
});
