/**
 * Normalized payloads of the `gitlab.*` domain events (map.ts produces them, reactions and the deploy
 * feature consume them). Timestamps are ISO strings (GitLab sends several formats, gitlab.md §2.1).
 */

/** The project an event is about. `path` is `path_with_namespace` (absent on some job payloads). */
export interface GitlabProjectRef {
  id: number;
  path?: string | undefined;
  webUrl?: string | undefined;
  defaultBranch?: string | undefined;
}

export interface GitlabUserRef {
  username?: string | undefined;
  name?: string | undefined;
}

export interface GitlabBuild {
  id: number;
  name: string;
  stage: string;
  status: string;
  failureReason?: string | undefined;
  allowFailure: boolean;
  webUrl?: string | undefined;
  /** Environment name for deploy jobs (a Deployment Hook names this job). */
  environment?: string | undefined;
}

/** `gitlab.pipeline.<status>` (status as GitLab names it: failed, success, running, canceled, …). */
export interface GitlabPipelineEvent {
  project: GitlabProjectRef;
  pipelineId: number;
  iid?: number | undefined;
  name?: string | undefined;
  ref: string;
  tag: boolean;
  sha: string;
  status: string;
  source?: string | undefined;
  webUrl: string;
  createdAt?: string | undefined;
  finishedAt?: string | undefined;
  durationSeconds?: number | undefined;
  user?: GitlabUserRef | undefined;
  commit?: { id: string; title: string; url?: string | undefined; authorName?: string | undefined } | undefined;
  builds: GitlabBuild[];
  variables: Record<string, string>;
  mergeRequest?: { iid: number; title: string; url?: string | undefined } | undefined;
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
  failureReason?: string | undefined;
  allowFailure: boolean;
  retries?: number | undefined;
  environment?: string | undefined;
  webUrl?: string | undefined;
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
  url?: string | undefined;
  author?: GitlabUserRef | undefined;
  user?: GitlabUserRef | undefined;
  updatedAt?: string | undefined;
  mergeCommitSha?: string | undefined;
}

/** `gitlab.tag.created` / `gitlab.tag.deleted` */
export interface GitlabTagEvent {
  project: GitlabProjectRef;
  tag: string;
  /** The tagged commit (`checkout_sha`); absent on delete. */
  sha?: string | undefined;
  message?: string | undefined;
  user?: GitlabUserRef | undefined;
  protected?: boolean | undefined;
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
  commits: { id: string; title: string; url?: string | undefined; authorName?: string | undefined }[];
  user?: GitlabUserRef | undefined;
}

/** `gitlab.deployment.<running|success|failed|canceled>` */
export interface GitlabDeploymentEvent {
  project: GitlabProjectRef;
  deploymentId: number;
  status: string;
  environment: string;
  environmentTier?: string | undefined;
  environmentUrl?: string | undefined;
  /** The CI job that deployed (null when created by API / trigger job). */
  jobId?: number | undefined;
  jobUrl?: string | undefined;
  shortSha?: string | undefined;
  commitTitle?: string | undefined;
  commitUrl?: string | undefined;
  ref?: string | undefined;
  user?: GitlabUserRef | undefined;
  statusChangedAt?: string | undefined;
}

/** `gitlab.release.<created|updated|deleted>` */
export interface GitlabReleaseEvent {
  project: GitlabProjectRef;
  action: string;
  tag: string;
  name?: string | undefined;
  description?: string | undefined;
  url?: string | undefined;
  releasedAt?: string | undefined;
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
  environment?: string | undefined;
}

declare module '../../core/events.ts' {
  interface EventMap {
    'gitlab.pipeline.*': GitlabPipelineEvent;
    'gitlab.job.*': GitlabJobEvent;
    'gitlab.deployment.*': GitlabDeploymentEvent;
    'gitlab.merge_request.merged': GitlabMergeRequestEvent;
    'gitlab.tag.created': GitlabTagEvent;
  }
}
