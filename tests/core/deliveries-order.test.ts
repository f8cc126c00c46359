/**
 * Deliveries with the same order key (one Sentry issue, one Alertmanager group, one GitLab pipeline) are
 * processed one at a time in acceptance order, also after a restart; other keys run alongside them.
 * Many processors run at once after a burst, so without this a firing could be applied after its
 * resolve and reopen the card.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DeliveryPipeline, type DeliveryInput } from '../../src/core/deliveries.ts';
import { StorageUnavailableError } from '../../src/core/errors.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const input = (k: string, orderKey?: string, orderShared?: boolean): DeliveryInput => ({ source: 's', kind: 'k', dedupeKey: k, ...(orderKey ? { orderKey } : {}), ...(orderShared ? { orderShared } : {}), headers: {}, body: '{}', receivedAt: Date.now() });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(p: DeliveryPipeline) {
  const log: string[] = [];
  const runningByKey = new Map<string, number>();
  let overlapSameKey = 0;
  let most = 0;
  let running = 0;
  p.onProcess('s', async (d) => {
    const key = d.orderKey ?? d.id;
    if (runningByKey.get(key)) overlapSameKey++;
    runningByKey.set(key, (runningByKey.get(key) ?? 0) + 1);
    most = Math.max(most, ++running);
    // Later deliveries finish faster: processed concurrently they would finish out of order.
    await tick(Number(d.dedupeKey.split('-')[1]) % 2 ? 2 : 12);
    log.push(d.dedupeKey);
    running--;
    runningByKey.set(key, runningByKey.get(key)! - 1);
  });
  return { log, stats: () => ({ overlapSameKey, most }) };
}

describe('processing order per order key', () => {
  it('same key: one at a time, in acceptance order; other keys concurrently', async () => {
    const p = new DeliveryPipeline(new MemoryStore(), pino({ level: 'silent' }));
    const r = recorder(p);
    for (let i = 0; i < 30; i++) await p.accept(input(`${['a', 'b', 'c'][i % 3]}-${i}`, ['A', 'B', 'C'][i % 3]));
    for (let i = 0; i < 6; i++) await p.accept(input(`free-${i}`));
    await tick(30); // past the busy window: many at once
    await p.idle();
    expect(r.log).toHaveLength(36);
    for (const k of ['a', 'b', 'c']) {
      const seq = r.log.filter((x) => x.startsWith(`${k}-`)).map((x) => Number(x.split('-')[1]));
      expect(seq).toEqual([...seq].sort((x, y) => x - y));
    }
    expect(r.stats().overlapSameKey).toBe(0);
    expect(r.stats().most).toBeGreaterThan(1);
  });

  it('the order survives a restart (recovered pending deliveries keep acceptance order per key)', async () => {
    const store = new MemoryStore();
    const first = new DeliveryPipeline(store, pino({ level: 'silent' }));
    await first.stop(); // acknowledged, never processed
    for (let i = 0; i < 12; i++) await first.accept(input(`g-${i}`, 'G'));
    const second = new DeliveryPipeline(store, pino({ level: 'silent' }));
    const r = recorder(second);
    expect(await second.recover()).toBe(12);
    await second.idle();
    expect(r.log).toEqual(Array.from({ length: 12 }, (_, i) => `g-${i}`));
    expect(r.stats().overlapSameKey).toBe(0);
  });

  it('shared deliveries of a key (the events of an issue) run together, never across an exclusive one (its resolve)', async () => {
    const p = new DeliveryPipeline(new MemoryStore(), pino({ level: 'silent' }));
    const events: string[] = [];
    let inKey = 0;
    let mostShared = 0;
    p.onProcess('s', async (d) => {
      events.push(`start ${d.dedupeKey}`);
      mostShared = Math.max(mostShared, ++inKey);
      if (d.dedupeKey.startsWith('x')) expect(inKey).toBe(1);
      await tick(d.dedupeKey.startsWith('x') ? 5 : 10);
      inKey--;
      events.push(`end ${d.dedupeKey}`);
    });
    for (const k of ['e-1', 'e-2', 'e-3']) await p.accept(input(k, 'I', true));
    await p.accept(input('x-1', 'I'));
    for (const k of ['e-4', 'e-5']) await p.accept(input(k, 'I', true));
    await tick(30);
    await p.idle();
    const at = (e: string) => events.indexOf(e);
    expect(mostShared).toBeGreaterThan(1); // the events ran alongside each other
    for (const k of ['e-1', 'e-2', 'e-3']) expect(at(`end ${k}`)).toBeLessThan(at('start x-1'));
    for (const k of ['e-4', 'e-5']) expect(at(`start ${k}`)).toBeGreaterThan(at('end x-1'));
    expect(events).toHaveLength(12);
  });

  it('a delivery postponed because storage failed keeps its key: the next one of the key waits for its retry', async () => {
    const p = new DeliveryPipeline(new MemoryStore(), pino({ level: 'silent' }));
    const done: string[] = [];
    let failFirst = true;
    p.onProcess('s', async (d) => {
      if (d.dedupeKey === 'firing-1' && failFirst) {
        failFirst = false;
        throw new StorageUnavailableError('disk full');
      }
      done.push(d.dedupeKey);
    });
    await p.accept(input('firing-1', 'G'));
    await p.accept(input('resolved-2', 'G'));
    await p.accept(input('other-3', 'H'));
    await tick(300);
    expect(done).toEqual(['other-3']); // the resolve waits behind the postponed firing
    await tick(1_200); // STORAGE_RETRY_MS
    await p.idle();
    expect(done).toEqual(['other-3', 'firing-1', 'resolved-2']);
  });
});
