/**
 * The Sentry feature in one factory for main.ts: routes to mount, the processor, reactions, and the
 * `services.sentry` the `/sentry` command uses.
 */
import type { WebhookRoute } from '../../adapters/types.ts';
import type { Deliveries } from '../../core/deliveries.ts';
import type { Services } from '../../core/services.ts';
import { SentryApi } from './api.ts';
import type { SentryConfig } from './config.ts';
import { registerDeploySync } from './deploy-sync.ts';
import { registerSentryProcessor, registerSentryReactions, type SentryReactions, type SentryServices } from './reactions.ts';
import { sentryRoutes } from './routes.ts';
import { SentryService } from './service.ts';

export interface SentryFeature {
  routes: WebhookRoute[];
  service: SentryService;
  reactions: SentryReactions;
  stop(): void;
}

/** Build everything; the caller mounts `routes` and sets `services.sentry = feature.service`. */
export function createSentry(
  services: SentryServices,
  deps: { sentry: SentryConfig; deliveries: Deliveries; tickMs?: number; currentDeploy?: (product: string, env: string) => Promise<{ release: string } | undefined> },
): SentryFeature {
  const redactor = (services as Partial<Services>).redactor;
  const api = new SentryApi(deps.sentry, { clock: services.clock, ...(redactor ? { redactor } : {}) });
  registerSentryProcessor(deps.deliveries, services.events);
  // services.deploys may be attached after us (features.ts): look it up at render time.
  const currentDeploy = async (product: string, env: string): Promise<{ release: string } | undefined> => {
    const deploys = (services as Partial<Services>).deploys;
    return deploys ? deploys.releases.current(product, env) : undefined;
  };
  const reactions = registerSentryReactions(services, {
    sentry: deps.sentry,
    ...(deps.tickMs !== undefined ? { tickMs: deps.tickMs } : {}),
    currentDeploy: deps.currentDeploy ?? currentDeploy,
  });
  const offDeploys = deps.sentry.reportDeploys ? registerDeploySync(services.events, api, services.config, deps.sentry, services.log) : () => {};
  const service = new SentryService(api, reactions.alerts, { config: services.config, sentry: deps.sentry, log: services.log });
  return {
    routes: sentryRoutes({ config: deps.sentry, deliveries: deps.deliveries, log: services.log }),
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
