/**
 * The route's parsed body rides to processing in memory (no second JSON.parse), in a bounded cache: a
 * backlog longer than the cap, or entries another replica processes, must not grow it without bound.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DeliveryPipeline } from '../../src/core/deliveries.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const input = (k: string) => ({ source: 's', kind: 'k', dedupeKey: k, headers: {}, body: `{"k":"${k}"}`, receivedAt: Date.now() });
const cacheSize = (p: DeliveryPipeline) => (p as unknown as { parsed: Map<string, unknown> }).parsed.size;

describe('parsed-body cache', () => {
  it('hands the parsed object to the processor and stays bounded under a backlog', async () => {
    const p = new DeliveryPipeline(new MemoryStore(), pino({ level: 'silent' }), { retention: 10_000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: (Record<string, unknown> | undefined)[] = [];
    p.onProcess('s', async (_d, parsed) => {
      seen.push(parsed);
      await gate;
    });
    for (let i = 0; i < 2_500; i++) await p.accept(input(`d${i}`), { k: `d${i}` });
    expect(cacheSize(p)).toBeLessThanOrEqual(2_000);
    release();
    await p.idle();
    expect(seen).toHaveLength(2_500);
    // Only those with a short queue ahead kept their parse (deliveries.ts PARSED_BACKLOG_MAX); behind the
    // backlog they are parsed from the stored text (a kept parse would be promoted and evicted unused).
    expect(seen[0]).toEqual({ k: 'd0' });
    expect(seen.at(-1)).toBeUndefined();
    expect(seen.filter((x) => x !== undefined).length).toBeGreaterThanOrEqual(32);
    expect(seen.filter((x) => x !== undefined).length).toBeLessThanOrEqual(100);
    expect(cacheSize(p)).toBe(0);
  });
});
