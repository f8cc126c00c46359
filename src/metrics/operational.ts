/**
 * Operational series (issue 21 §1), registered on the bot's registry by createMetrics. Prometheus
 * conventions (prometheus.io "Metric and label naming"): base units (seconds), `_total` only on
 * counters, and label values from closed sets: sources, platforms, command names, products and
 * environments come from code or config, outcomes from the lists below, never from request data.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How the HTTP side of a webhook source (core/mount-source.ts) ended, one value per contract status. */
export const WEBHOOK_OUTCOMES = ['accepted', 'duplicate', 'rejected_unauthorized', 'rejected_malformed', 'rejected_media_type', 'failed'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** A stored delivery's processing result (deliveries.ts marks it processed or failed). */
export type ProcessOutcome = 'processed' | 'failed';

/** Minutes-to-hours deploys (issue 4: a task times out after 30 min by default). */
const DEPLOY_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
/** Webhook processing normally takes milliseconds; seconds when the queue backs up or after a restart. */
const LAG_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600];

export function operationalSeries(registry: Registry) {
  const registers = [registry];
  return {
    webhookDeliveries: new Counter({
      name: 'opsbot_webhook_deliveries_total',
      help: 'Webhook deliveries by source and outcome (accepted, duplicate, rejected_<reason>, failed)',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    webhookProcessed: new Counter({
      name: 'opsbot_webhook_processed_total',
      help: 'Stored webhook deliveries processed into events, by source and outcome (processed, failed)',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    webhookLag: new Histogram({
      name: 'opsbot_webhook_processing_lag_seconds',
      help: 'From a webhook delivery being received to its events having been handled',
      labelNames: ['source'],
      buckets: LAG_BUCKETS,
      registers,
    }),
    commands: new Counter({
      name: 'opsbot_commands_total',
      help: 'Chat commands by command and outcome (ok, denied, usage, error, proposed, unknown)',
      labelNames: ['command', 'outcome'],
      registers,
    }),
    deploys: new Counter({
      name: 'opsbot_deploys_total',
      help: 'Finished deploy tasks by product, environment, engine and result (succeeded, failed, cancelled, interrupted)',
      labelNames: ['product', 'env', 'engine', 'result'],
      registers,
    }),
    rollbacks: new Counter({
      name: 'opsbot_rollbacks_total',
      help: 'Finished rollback tasks by product, environment and result',
      labelNames: ['product', 'env', 'result'],
      registers,
    }),
    deployDuration: new Histogram({
      name: 'opsbot_deploy_duration_seconds',
      help: 'Deploy and rollback task run time, from start to finish',
      labelNames: ['product', 'env', 'result'],
      buckets: DEPLOY_BUCKETS,
      registers,
    }),
    escalations: new Counter({
      name: 'opsbot_escalations_total',
      help: 'Alert escalations (the next person in the chain was paged), by alert source',
      labelNames: ['source'],
      registers,
    }),
    connectionHeld: new Gauge({
      name: 'opsbot_chat_connection_held',
      help: 'Long connections (DingTalk Stream, WeCom bot websocket): 1 on the replica that holds the platform connection, else 0',
      labelNames: ['platform'],
      registers,
    }),
  };
}
export type OperationalSeries = ReturnType<typeof operationalSeries>;
