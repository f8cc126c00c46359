/**
 * Webhook queue depth (issue 21 §1 "processing lag and queue depth"): deliveries acknowledged but not yet
 * processed, by source, read from the delivery pipeline's collection at scrape time (the queue is shared
 * across replicas with PostgreSQL, so only the store knows it) and reused for `doraCacheSeconds`.
 * The collection is bounded (storage.deliveriesRetention), so the scan is too.
 */
import { Gauge, type Registry } from 'prom-client';
import type { StoredDelivery } from '../core/deliveries.ts';
import type { Collection } from '../store/types.ts';

export function registerQueueSeries(registry: Registry, d: { deliveries: Pick<Collection<StoredDelivery>, 'list'> | undefined; cacheSeconds: () => number }): void {
  let cached: { at: number; counts: Promise<Map<string, number>> } | undefined;
  const counts = (): Promise<Map<string, number>> => {
    const mono = performance.now();
    if (!cached || mono - cached.at >= d.cacheSeconds() * 1000) {
      const p = (async () => {
        const out = new Map<string, number>();
        for (const x of (await d.deliveries?.list({ filter: (x) => x.status === 'pending' })) ?? []) out.set(x.source, (out.get(x.source) ?? 0) + 1);
        return out;
      })();
      cached = { at: mono, counts: p };
      p.catch(() => (cached = undefined));
    }
    return cached.counts;
  };
  new Gauge({
    name: 'opsbot_webhook_pending',
    help: 'Webhook deliveries acknowledged and stored but not processed yet, by source (all replicas)',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      const c = await counts().catch(() => undefined);
      if (!c) return;
      this.reset();
      for (const [source, n] of c) this.set({ source }, n);
    },
  });
}
