/**
 * Webhook queue depth (issue 21 §1 "processing lag and queue depth"): deliveries acknowledged but not yet
 * processed, by source, asked of the delivery pipeline at scrape time (the queue is shared across
 * replicas with PostgreSQL, so only the store knows it; there it is a count in SQL) and reused for
 * `doraCacheSeconds`.
 */
import { Gauge, type Registry } from 'prom-client';

export function registerQueueSeries(registry: Registry, d: { pending: (() => Promise<Map<string, number>>) | undefined; cacheSeconds: () => number }): void {
  let cached: { at: number; counts: Promise<Map<string, number>> } | undefined;
  const counts = (): Promise<Map<string, number>> => {
    const mono = performance.now();
    if (!cached || mono - cached.at >= d.cacheSeconds() * 1000) {
      const p = d.pending ? d.pending() : Promise.resolve(new Map<string, number>());
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
