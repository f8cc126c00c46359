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
import { createDeployService } from './deploy/service.ts';
import { createGitlabApi } from './integrations/gitlab-api.ts';
import { setupGitlab } from './sources/gitlab/index.ts';
import { createSentry } from './sources/sentry/index.ts';
import type { Store } from './store/types.ts';

export interface FeatureDeps {
  config: Config;
  log: Logger;
  store: Store;
  services: Services;
  deliveries: DeliveryPipeline;
  onMessage(msg: IncomingMessage): Promise<void>;
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

  if (config.chat.dingtalk) adapters.push(createDingtalkAdapter({ config: config.chat.dingtalk, onMessage, log: log.child({ platform: 'dingtalk' }), store }));
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

  const deploys = createDeployService(services, gitlabApi ? { gitlab: gitlabApi } : {});
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
