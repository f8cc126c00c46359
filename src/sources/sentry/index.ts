/**
 * The Sentry feature's parts in one factory (feature.ts wires it): the webhook sources, the alert
 * reactions, and the service the `/sentry` command uses.
 */
import type { WebhookSource } from '../../core/webhook-source.ts';
import { SentryApi } from './api.ts';
import type { SentryConfig } from './config.ts';
import { registerDeploySync } from './deploy-sync.ts';
import { registerSentryReactions, type SentryReactions, type SentryServices } from './reactions.ts';
import { sentrySources } from './routes.ts';
import { SentryService } from './service.ts';

export interface SentryFeature {
  sources: WebhookSource[];
  service: SentryService;
  reactions: SentryReactions;
  stop(): void;
}

/** Build everything; the caller mounts `sources` and provides `service` under SENTRY. */
export function createSentry(
  services: SentryServices,
  deps: { sentry: SentryConfig; tickMs?: number; currentDeploy?: (product: string, env: string) => Promise<{ release: string } | undefined> },
): SentryFeature {
  const redactor = services.redactor;
  const api = new SentryApi(deps.sentry, { clock: services.clock, ...(redactor ? { redactor } : {}) });
  const reactions = registerSentryReactions(services, {
    sentry: deps.sentry,
    ...(deps.tickMs !== undefined ? { tickMs: deps.tickMs } : {}),
    ...(deps.currentDeploy ? { currentDeploy: deps.currentDeploy } : {}),
  });
  const offDeploys = deps.sentry.reportDeploys ? registerDeploySync(services.events, api, services.config, deps.sentry, services.log) : () => {};
  const service = new SentryService(api, reactions.alerts, { config: services.config, sentry: deps.sentry, log: services.log });
  return {
    sources: sentrySources(deps.sentry),
    service,
    reactions,
    stop: () => {
      reactions.stop();
      offDeploys();
    },
  };
}

export { sentryConfigSchema, productAlertsSchema, type SentryConfig, type ProductAlerts } from './config.ts';
export { SentryService } from './service.ts';
