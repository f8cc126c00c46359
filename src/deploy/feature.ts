/**
 * Deploys as a feature (always on): the service the deploy commands use, scheduled in process or, with
 * several replicas, through the store's shared deploy queue. Engines find what they need from earlier
 * features (the GitLab client) through `services`.
 */
import { deployCommands } from '../../commands/index.ts';
import { defineFeature, provide } from '../core/feature.ts';
import { engineDeclaration } from './engines/index.ts';
import { deployMessages } from './messages.ts';
import { createDeployService, DEPLOYS } from './service.ts';

export const deployFeature = defineFeature({
  name: 'deploy',
  commands: deployCommands,
  messages: deployMessages,
  enabled: () => true,
  setup(deps) {
    const queue = deps.coordination.deployQueue({
      concurrency: deps.config.deploy.concurrency,
      log: deps.log.child({ feature: 'deploy' }),
      reattachable: (task) => engineDeclaration(task.engine).capabilities.followsExternalRun,
    });
    const deploys = createDeployService(deps, { services: deps.services, ...(queue ? { queue } : {}) });
    return { provides: [provide(DEPLOYS, deploys)], start: () => deploys.recover(), stop: () => deploys.stop() };
  },
});
