/**
 * Normalized payloads of the `gitlab.*` domain events (map.ts produces them, reactions and the deploy
 * feature consume them). Timestamps are ISO strings (GitLab sends several formats, gitlab.md §2.1).
 */

/** The project an event is about. `path` is `path_with_namespace` (absent on some job payloads). */
export interface GitlabProjectRef {
  id: number;
  path?: string;
  webUrl?: string;
  defaultBranch?: string;
}

export interface GitlabUserRef {
  username?: string;
  name?: string;
}

export interface GitlabBuild {
  id: number;
  name: string;
  stage: string;
  status: string;
  failureReason?: string;
  allowFailure: boolean;
  webUrl?: string;
  /** Environment name for deploy jobs (a Deployment Hook names this job). */
  environment?: string;
}

/** `gitlab.pipeline.<status>` (status as GitLab names it: failed, success, running, canceled, …). */
export interface GitlabPipelineEvent {
  project: GitlabProjectRef;
  pipelineId: number;
  iid?: number;
  name?: string;
  ref: string;
  tag: boolean;
  sha: string;
  status: string;
  source?: string;
  webUrl: string;
  createdAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  user?: GitlabUserRef;
  commit?: { id: string; title: string; url?: string; authorName?: string };
  builds: GitlabBuild[];
  variables: Record<string, string>;
  mergeRequest?: { iid: number; title: string; url?: string };
}

/** `gitlab.job.<status>` (Job Hook, object_kind `build`). */
export interface GitlabJobEvent {
  project: GitlabProjectRef;
  jobId: number;
  name: string;
  stage: string;
  status: string;
  pipelineId: number;
  ref: string;
  sha: string;
  failureReason?: string;
  allowFailure: boolean;
  retries?: number;
  environment?: string;
  webUrl?: string;
}

/** `gitlab.merge_request.<opened|merged|closed|reopened|updated|approved|…>` */
export interface GitlabMergeRequestEvent {
  project: GitlabProjectRef;
  id: number;
  iid: number;
  action: string;
  state: string;
  title: string;
  sourceBranch: string;
  targetBranch: string;
  url?: string;
  author?: GitlabUserRef;
  user?: GitlabUserRef;
  updatedAt?: string;
  mergeCommitSha?: string;
}

/** `gitlab.tag.created` / `gitlab.tag.deleted` */
export interface GitlabTagEvent {
  project: GitlabProjectRef;
  tag: string;
  /** The tagged commit (`checkout_sha`); absent on delete. */
  sha?: string;
  message?: string;
  user?: GitlabUserRef;
  protected?: boolean;
}

/** `gitlab.push` */
export interface GitlabPushEvent {
  project: GitlabProjectRef;
  branch: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  totalCommits: number;
  commits: { id: string; title: string; url?: string; authorName?: string }[];
  user?: GitlabUserRef;
}

/** `gitlab.deployment.<running|success|failed|canceled>` */
export interface GitlabDeploymentEvent {
  project: GitlabProjectRef;
  deploymentId: number;
  status: string;
  environment: string;
  environmentTier?: string;
  environmentUrl?: string;
  /** The CI job that deployed (null when created by API / trigger job). */
  jobId?: number;
  jobUrl?: string;
  shortSha?: string;
  commitTitle?: string;
  commitUrl?: string;
  ref?: string;
  user?: GitlabUserRef;
  statusChangedAt?: string;
}

/** `gitlab.release.<created|updated|deleted>` */
export interface GitlabReleaseEvent {
  project: GitlabProjectRef;
  action: string;
  tag: string;
  name?: string;
  description?: string;
  url?: string;
  releasedAt?: string;
}

/** What the deploy feature listens to: `deploy.pipeline.updated` (emitted by reactions.ts). */
export interface DeployPipelineUpdated {
  project: string;
  projectId: number;
  pipelineId: number;
  status: string;
  webUrl: string;
  /** Which hook moved it: the pipeline itself, or a deployment of one of its jobs (status = deployment status). */
  via: 'pipeline' | 'deployment';
  environment?: string;
}
