/**
 * Deliveries with the same order key (one Sentry issue, one Alertmanager group, one GitLab pipeline) are
 * processed one at a time in acceptance order, also after a restart; other keys run alongside them.
 * Many processors run at once after a burst, so without this a firing could be applied after its
 * resolve and reopen the card.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DeliveryPipeline, type DeliveryInput } from '../../src/core/deliveries.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const input = (k: string, orderKey?: string): DeliveryInput => ({ source: 's', kind: 'k', dedupeKey: k, ...(orderKey ? { orderKey } : {}), headers: {}, body: '{}', receivedAt: Date.now() });
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
});
