/**
 * Sentry as a feature: on with a `sentry:` section. Rollback buttons on alert cards look at what the
 * deploy feature (listed before this one) last deployed, when it is there.
 */
import { sentryCommands } from '../../../commands/index.ts';
import { defineFeature, provide } from '../../core/feature.ts';
import { DEPLOYS } from '../../deploy/service.ts';
import { alertPolicyDeps } from '../../alerts/policy.ts';
import { createSentry } from './index.ts';
import { sentryMessages } from './messages.ts';
import { SENTRY } from './service.ts';

export const sentryFeature = defineFeature({
  name: 'sentry',
  commands: sentryCommands,
  messages: sentryMessages,
  enabled: (config) => config.sentry !== undefined,
  setup(deps) {
    const deploys = deps.services.get(DEPLOYS);
    const sentry = createSentry(
      { ...deps, timers: deps.coordination.timers, ...alertPolicyDeps(deps) },
      { sentry: deps.config.sentry!, ...(deploys ? { currentDeploy: (product, env) => deploys.releases.current(product, env) } : {}) },
    );
    return {
      sources: sentry.sources,
      provides: [provide(SENTRY, sentry.service)],
      stop: async () => sentry.stop(),
    };
  },
});
