/** Prometheus metrics (prom-client), one registry per bot instance so tests do not collide. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'opsbot_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'opsbot_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'opsbot_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['route'], buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5], registers: [registry] }),
    storageWriteFailures: new Counter({ name: 'opsbot_storage_write_failures_total', help: 'Durable writes the store refused (disk full, read-only database)', registers: [registry] }),
    storageHealthy: new Gauge({ name: 'opsbot_storage_healthy', help: '1 while the store makes writes durable, 0 while they fail', registers: [registry] }),
    messages: new Counter({ name: 'opsbot_chat_messages_total', help: 'Chat messages received by platform', labelNames: ['platform', 'duplicate'], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
