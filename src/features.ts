/**
 * Wires the optional features (chat platforms, webhook sources, deploys) from config. A section that is
 * absent from the config mounts no route and opens no connection (contract.md).
 */
import type { Logger } from 'pino';
import type { ChatAdapter, WebhookRoute } from './adapters/types.ts';
import { createDingtalkAdapter } from './adapters/dingtalk/index.ts';
import { createWecomAdapter } from './adapters/wecom/index.ts';
import type { Config } from './config/schema.ts';
import type { DeliveryPipeline } from './core/deliveries.ts';
import type { IncomingMessage } from './core/message.ts';
import type { Services } from './core/services.ts';
import { every } from './core/periodic.ts';
import { StoreTimers, type Timers } from './core/timers.ts';
import { createDeployService } from './deploy/service.ts';
import { createGitlabApi } from './integrations/gitlab-api.ts';
import { setupGitlab } from './sources/gitlab/index.ts';
import { createSentry } from './sources/sentry/index.ts';
import type { Store } from './store/types.ts';
import { PostgresStore } from './store/postgres-store.ts';
import { PgDeployQueue } from './store/postgres/deploy-queue.ts';
import { PgTimers } from './store/postgres/timers.ts';
import { Gauge } from 'prom-client';
import type { Metrics } from './server/metrics.ts';

export interface FeatureDeps {
  config: Config;
  log: Logger;
  store: Store;
  services: Services;
  deliveries: DeliveryPipeline;
  onMessage(msg: IncomingMessage): Promise<void>;
  metrics: Metrics;
}

export interface Features {
  adapters: ChatAdapter[];
  routes: WebhookRoute[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function setupFeatures(deps: FeatureDeps): Promise<Features> {
  const { config, log, store, services, deliveries, onMessage } = deps;
  const adapters: ChatAdapter[] = [];
  const routes: WebhookRoute[] = [];
  const starters: (() => Promise<void>)[] = [];
  const stoppers: (() => Promise<void>)[] = [];

  // Durable timers (escalation): exactly once across replicas on PostgreSQL (issue 9 §3). Started after
  // every feature registered its handlers; stopped first, so no handler runs into a closing store.
  const timerLog = log.child({ part: 'timers' });
  const timers: Timers = store instanceof PostgresStore ? new PgTimers({ pool: store.pool, log: timerLog }) : new StoreTimers({ store, log: timerLog, clock: services.clock });
  services.timers = timers;
  starters.push(() => timers.start());
  stoppers.push(() => timers.stop());
  if (timers instanceof PgTimers) {
    // Housekeeping as a periodic job: one run per hour across all replicas (scale-out.md §0 "Cron").
    const prune = every(timers, 'task-queue:prune', 3_600_000, async () => {
      const n = await timers.queue.prune(7 * 24 * 3_600_000);
      if (n > 0) timerLog.info({ deleted: n }, 'task queue: finished rows older than 7 days deleted');
    });
    starters.push(() => prune.arm());
  }

  if (config.chat.dingtalk) {
    const dingtalk = createDingtalkAdapter({ config: config.chat.dingtalk, onMessage, log: log.child({ platform: 'dingtalk' }), store });
    adapters.push(dingtalk);
    // OpenAPI calls and cards count against DingTalk's monthly quota; stream health shows reconnect trouble.
    new Gauge({
      name: 'opsbot_dingtalk',
      help: 'DingTalk adapter counters (OpenAPI calls, card creates/updates, stream attempts/connects) and stream state',
      labelNames: ['counter'],
      registers: [deps.metrics.registry],
      collect() {
        const s = dingtalk.stats();
        for (const [k, v] of Object.entries({ ...s.api, ...(s.stream ?? {}) })) if (typeof v === 'number') this.set({ counter: k }, v);
        this.set({ counter: 'streamConnected' }, s.streamConnected ? 1 : 0);
      },
    });
  }
  if (config.chat.wecom) adapters.push(createWecomAdapter({ config: config.chat.wecom, onMessage, log: log.child({ platform: 'wecom' }), store }));

  const gitlabApi = config.gitlab ? createGitlabApi({ url: config.gitlab.url, token: config.gitlab.token, fetchTimeoutMs: config.gitlab.fetchTimeoutMs }) : undefined;
  if (config.gitlab) {
    const gl = setupGitlab(services, { config: config.gitlab, deliveries, ...(gitlabApi ? { api: gitlabApi } : {}) });
    routes.push(...gl.routes);
    stoppers.push(async () => gl.stop());
  }
  if (config.sentry) {
    const sentry = createSentry(services, { sentry: config.sentry, deliveries });
    services.sentry = sentry.service;
    routes.push(...sentry.routes);
    stoppers.push(async () => sentry.stop());
  }

  // Several replicas on one database: deploys are scheduled through the shared task queue.
  const deployQueue =
    store instanceof PostgresStore
      ? new PgDeployQueue(store, log.child({ feature: 'deploy' }), { concurrency: config.deploy.concurrency, leaseMs: config.storage.leaseSeconds * 1000 })
      : undefined;
  const deploys = createDeployService(services, { ...(gitlabApi ? { gitlab: gitlabApi } : {}), ...(deployQueue ? { queue: deployQueue } : {}) });
  services.deploys = deploys;
  starters.push(() => deploys.recover());
  stoppers.push(() => deploys.stop());

  return {
    adapters,
    routes,
    async start() {
      for (const s of starters) await s();
    },
    async stop() {
      for (const s of stoppers) await s().catch((err: unknown) => log.warn({ err }, 'feature stop failed'));
    },
  };
}
