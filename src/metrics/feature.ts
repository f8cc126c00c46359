/**
 * Delivery metrics as a feature (issue 21; always on): the `/stats` service, the DORA gauges on the
 * bot's registry, the deploy counters and duration histogram from `deploy.finished` (src/deploy/tasks.ts
 * EventMap; the runner stays untouched), merge and tag times from GitLab's events (lead time), and the
 * weekly digest when `metrics.digest.enabled`. Listed after the deploy, GitLab and alert features so an
 * alert engine's `ALERTS_HISTORY` is already provided when this one looks.
 */
import { metricsCommands } from '../../commands/index.ts';
import { defineFeature, provide } from '../core/feature.ts';
import { recordChangeTimes } from './change-times.ts';
import { digestJob } from './digest.ts';
import { registerDoraSeries } from './dora-series.ts';
import { registerQueueSeries } from './queue-series.ts';
import { ALERTS_HISTORY, sentryAlertsHistory } from './history.ts';
import { metricsMessages } from './messages.ts';
import { createStatsService, STATS } from './stats.ts';

export const metricsFeature = defineFeature({
  name: 'metrics',
  commands: metricsCommands,
  messages: metricsMessages,
  enabled: () => true,
  setup(deps) {
    const { config, store, clock, events, metrics, log } = deps;
    // Looked up on each use: the provider of a feature listed later still counts once the app is set up.
    const alerts = () => deps.services.get(ALERTS_HISTORY) ?? sentryAlertsHistory;
    const stats = createStatsService({ config, store, clock, locale: deps.locale, alerts });
    registerDoraSeries(metrics.registry, { config, store, clock, alerts });
    registerQueueSeries(metrics.registry, { pending: deps.coordination.deliveries ? () => deps.coordination.deliveries.pendingBySource() : undefined, cacheSeconds: () => config.metrics.doraCacheSeconds });

    const offs = [
      events.on('deploy.finished', (e) => {
        const task = e.payload;
        const result = task.state;
        if (task.kind === 'deploy') metrics.deploys.inc({ product: task.product, env: task.env, engine: task.engine, result });
        else metrics.rollbacks.inc({ product: task.product, env: task.env, result });
        if (task.startedAt !== undefined && task.finishedAt !== undefined) {
          metrics.deployDuration.observe({ product: task.product, env: task.env, result }, Math.max(0, task.finishedAt - task.startedAt) / 1000);
        }
      }),
      ...recordChangeTimes({ config, store, events }),
    ];
    const digest = config.metrics.digest.enabled
      ? digestJob({ config, stats, outbox: deps.outbox, locale: deps.locale, clock, timers: deps.coordination.timers, log: log.child({ feature: 'metrics' }) })
      : undefined;
    return {
      provides: [provide(STATS, stats)],
      start: async () => {
        await digest?.arm();
      },
      stop: async () => {
        for (const off of offs) off();
      },
    };
  },
});
