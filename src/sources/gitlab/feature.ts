/** GitLab as a feature: on with a `gitlab:` section; provides the client the deploy engine uses. */
import { gitlabCommands } from '../../../commands/index.ts';
import { defineFeature, provide } from '../../core/feature.ts';
import { setupGitlab } from './index.ts';
import { gitlabMessages } from './messages.ts';
import { GITLAB } from './service.ts';

export const gitlabFeature = defineFeature({
  name: 'gitlab',
  commands: gitlabCommands,
  messages: gitlabMessages,
  enabled: (config) => config.gitlab !== undefined,
  setup(deps) {
    const gitlab = setupGitlab(deps, { config: deps.config.gitlab! });
    return { sources: [gitlab.source], provides: [provide(GITLAB, gitlab.service)], stop: async () => gitlab.stop() };
  },
});
