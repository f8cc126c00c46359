/** The GitLab service on `Services` (declaration merging; set by setupGitlab in index.ts). */
import type { GitlabApi } from '../../integrations/gitlab-api.ts';
import type { GitlabConfig } from './config.ts';

export interface GitlabService {
  config: GitlabConfig;
  api: GitlabApi;
}

declare module '../../core/services.ts' {
  interface Services {
    gitlab?: GitlabService;
  }
}
