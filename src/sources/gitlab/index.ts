/**
 * The GitLab feature's parts (feature.ts wires them): the API client and the service the `/gitlab`
 * command uses, the webhook source (stored delivery → `gitlab.*` events on the bus) and the reactions.
 */
import type { StoredDelivery } from '../../core/deliveries.ts';
import type { CoreDeps } from '../../core/services.ts';
import type { WebhookSource } from '../../core/webhook-source.ts';
import { createGitlabApi, type GitlabApi } from '../../integrations/gitlab-api.ts';
import type { GitlabConfig } from './config.ts';
import { registerGitlabReactions } from './reactions.ts';
import { gitlabSource, parseGitlabDelivery } from './routes.ts';
import type { GitlabService } from './service.ts';

export { gitlabConfigSchema, gitlabProductExtras, releasesFromTagsSchema, type GitlabConfig } from './config.ts';

/** One stored delivery → its events on the bus (what the delivery queue runs; tests call it directly). */
export function gitlabProcessor(services: Pick<CoreDeps, 'events'>): (d: StoredDelivery) => Promise<void> {
  return async (d) => {
    for (const e of parseGitlabDelivery(d)) await services.events.emit(e);
  };
}

/** Set up the client, the reactions and the source. */
export function setupGitlab(services: CoreDeps, deps: { config: GitlabConfig; api?: GitlabApi }): { source: WebhookSource; service: GitlabService; stop: () => void } {
  const api =
    deps.api ??
    createGitlabApi({ url: deps.config.url, token: deps.config.token, fetchTimeoutMs: deps.config.fetchTimeoutMs, ...(services.redactor ? { redactor: services.redactor } : {}) });
  const stop = registerGitlabReactions(services, { config: deps.config, api });
  return { source: gitlabSource({ config: deps.config, clock: services.clock }), service: { config: deps.config, api }, stop };
}
