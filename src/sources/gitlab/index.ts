/**
 * Wiring of the GitLab feature (one call from main.ts when `config.gitlab` is set): the API client
 * and `services.gitlab`, the delivery processor (stored delivery → `gitlab.*` events on the bus),
 * the reactions, and the webhook route to mount.
 */
import type { WebhookRoute } from '../../adapters/types.ts';
import type { Deliveries, StoredDelivery } from '../../core/deliveries.ts';
import type { Services } from '../../core/services.ts';
import { createGitlabApi, type GitlabApi } from '../../integrations/gitlab-api.ts';
import type { GitlabConfig } from './config.ts';
import { mapGitlabDelivery } from './map.ts';
import { registerGitlabReactions } from './reactions.ts';
import { GITLAB_SOURCE, gitlabWebhookRoute } from './routes.ts';
import './service.ts';
import './messages.ts';

export { gitlabConfigSchema, gitlabProductExtras, releasesFromTagsSchema, type GitlabConfig } from './config.ts';

/** Turn one stored delivery into domain events. Malformed known kinds are logged and dropped (never retried). */
export function gitlabProcessor(services: Services): (d: StoredDelivery) => Promise<void> {
  return async (d) => {
    let body: unknown;
    try {
      body = JSON.parse(d.body);
    } catch {
      services.log.warn({ delivery: d.id }, 'gitlab delivery body is not JSON');
      return;
    }
    let events;
    try {
      events = mapGitlabDelivery(d.kind, body, d.receivedAt, d.id);
    } catch (err) {
      services.log.warn({ delivery: d.id, kind: d.kind, err: (err as Error).message }, 'gitlab delivery lacks required fields; stored only');
      return;
    }
    if (!events.length) services.log.debug({ delivery: d.id, kind: d.kind }, 'gitlab delivery of an unhandled kind; stored only');
    for (const e of events) await services.events.emit(e);
  };
}

/** Set up everything; returns the routes for the server. */
export function setupGitlab(
  services: Services,
  deps: { config: GitlabConfig; deliveries: Deliveries; api?: GitlabApi },
): { routes: WebhookRoute[]; api: GitlabApi; stop: () => void } {
  const api = deps.api ?? createGitlabApi({ url: deps.config.url, token: deps.config.token, fetchTimeoutMs: deps.config.fetchTimeoutMs });
  services.gitlab = { config: deps.config, api };
  deps.deliveries.onProcess(GITLAB_SOURCE, gitlabProcessor(services));
  const stop = registerGitlabReactions(services, { config: deps.config, api });
  const route = gitlabWebhookRoute({ config: deps.config, deliveries: deps.deliveries, log: services.log, clock: services.clock });
  return { routes: [route], api, stop };
}
