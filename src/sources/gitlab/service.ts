/** The GitLab service the `/gitlab` command uses (provided by the GitLab feature, feature.ts). */
import { serviceKey } from '../../core/feature.ts';
import type { GitlabApi } from '../../integrations/gitlab-api.ts';
import type { GitlabConfig } from './config.ts';

export interface GitlabService {
  config: GitlabConfig;
  api: GitlabApi;
}

export const GITLAB = serviceKey<GitlabService>('gitlab', 'gitlab.cmd.notConfigured');
