/** Prometheus metrics (prom-client), one registry per bot instance so tests do not collide. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { operationalSeries } from '../metrics/operational.ts';

/** Live figures read at scrape time (the outbox's ledger: a store query, so only when scraped). */
export interface MetricSources {
  outboxCounts?: () => Promise<{ platform: string; queued: number; dead: number }[]>;
}

export function createMetrics(sources: MetricSources = {}) {
  const registry = new Registry();
  /** Sets both outbox gauges from one ledger read per scrape (reset first: a drained platform reads 0). */
  const outboxGauges = async (queued: Gauge, dead: Gauge, which: 'queued' | 'dead') => {
    if (!sources.outboxCounts) return;
    const rows = await sources.outboxCounts().catch(() => undefined);
    if (!rows) return;
    const g = which === 'queued' ? queued : dead;
    g.reset();
    for (const r of rows) g.set({ platform: r.platform }, r[which]);
  };
  // prom-client's Node/process defaults stay (heap, event-loop lag). One of them is a gauge named
  // `opsbot_nodejs_active_handles_total`, which `promtool check metrics` flags (alerting-and-engines.md §2);
  // it is prom-client's name, so the promtool check covers opsbot's own series (tests/metrics/promtool.ts).
  collectDefaultMetrics({ register: registry, prefix: 'opsbot_' });
  return {
    registry,
    /** Webhooks, commands, deploys, escalations (src/metrics/operational.ts). */
    ...operationalSeries(registry),
    httpRequests: new Counter({ name: 'opsbot_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'opsbot_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['route'], buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5], registers: [registry] }),
    storageWriteFailures: new Counter({ name: 'opsbot_storage_write_failures_total', help: 'Durable writes the store refused (disk full, read-only database)', registers: [registry] }),
    storageHealthy: new Gauge({ name: 'opsbot_storage_healthy', help: '1 while the store makes writes durable, 0 while they fail', registers: [registry] }),
    /** outcome: sent, retried (a transient failure, tried again later), failed (permanent), dead (retry budget spent). */
    outboxSends: new Counter({ name: 'opsbot_outbox_sends_total', help: 'Outbox send attempts by platform and outcome', labelNames: ['platform', 'outcome'], registers: [registry] }),
    outboxQueued: new Gauge({
      name: 'opsbot_outbox_queued',
      help: 'Messages queued in the outbox (waiting, retrying or in flight)',
      labelNames: ['platform'],
      registers: [registry],
      async collect() {
        await outboxGauges(this, this, 'queued');
      },
    }),
    outboxDead: new Gauge({
      name: 'opsbot_outbox_dead',
      help: 'Dead outbox messages (retry budget spent or a permanent failure), kept for /outbox',
      labelNames: ['platform'],
      registers: [registry],
      async collect() {
        await outboxGauges(this, this, 'dead');
      },
    }),
    messages: new Counter({ name: 'opsbot_chat_messages_total', help: 'Chat messages received by platform', labelNames: ['platform', 'duplicate'], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
