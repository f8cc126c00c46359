/**
 * Delivery → typed `gitlab.*` events (octokit's `event.action` naming). Lenient parsing: payloads vary
 * by GitLab version (gitlab.md §5), so only what a card needs is required (`object_kind`, ids, status).
 * Route on `X-Gitlab-Event`, cross-check `object_kind` (gitlab.md §1.5).
 */
import { z } from 'zod';
import type { DomainEvent } from '../../core/events.ts';
import type {
  GitlabBuild, GitlabDeploymentEvent, GitlabJobEvent, GitlabMergeRequestEvent, GitlabPipelineEvent,
  GitlabProjectRef, GitlabPushEvent, GitlabReleaseEvent, GitlabTagEvent, GitlabUserRef,
} from './events.ts';

const ZERO_SHA = /^0{40}$/;
const opt = <T extends z.ZodType>(s: T) => s.nullish().transform((v) => v ?? undefined);
const str = opt(z.string());
const num = opt(z.number());

/** GitLab's timestamp styles (gitlab.md §2.1) → ISO, or undefined when absent/unparseable. */
export function isoTime(s: string | null | undefined): string | undefined {
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

const projectWire = z.object({
  id: z.number(), path_with_namespace: str, web_url: str, default_branch: str,
});
const userWire = z.object({ username: str, name: str });
const toProject = (p: z.infer<typeof projectWire>): GitlabProjectRef => ({
  id: p.id,
  ...(p.path_with_namespace ? { path: p.path_with_namespace } : {}),
  ...(p.web_url ? { webUrl: p.web_url } : {}),
  ...(p.default_branch ? { defaultBranch: p.default_branch } : {}),
});
const toUser = (u: z.infer<typeof userWire> | undefined): GitlabUserRef | undefined =>
  u && (u.username || u.name) ? { ...(u.username ? { username: u.username } : {}), ...(u.name ? { name: u.name } : {}) } : undefined;
/** Drop undefined members (exactOptional-friendly payloads, stable test snapshots). */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const pipelineWire = z.object({
  object_attributes: z.object({
    id: z.number(), iid: num, name: str, ref: z.string(), tag: opt(z.boolean()), sha: z.string(),
    source: str, status: z.string(), created_at: str, finished_at: str, duration: num, url: str,
    variables: opt(z.array(z.object({ key: z.string(), value: z.string() }))),
  }),
  project: projectWire,
  user: opt(userWire),
  commit: opt(z.object({ id: z.string(), title: str, message: str, url: str, author: opt(z.object({ name: str })) })),
  merge_request: opt(z.object({ iid: z.number(), title: z.string(), url: str })),
  builds: opt(z.array(z.object({
    id: z.number(), name: z.string(), stage: z.string(), status: z.string(),
    failure_reason: str, allow_failure: opt(z.boolean()), environment: opt(z.object({ name: z.string() })),
  }))),
});

function mapPipeline(body: unknown): DomainEvent<GitlabPipelineEvent> {
  const b = pipelineWire.parse(body);
  const a = b.object_attributes;
  const project = toProject(b.project);
  // Older payloads lack `url`: build it from the project (gitlab.md §2.2).
  const webUrl = a.url ?? (project.webUrl ? `${project.webUrl}/-/pipelines/${a.id}` : '');
  const builds: GitlabBuild[] = (b.builds ?? []).map((j) => clean({
    id: j.id, name: j.name, stage: j.stage, status: j.status,
    failureReason: j.status === 'failed' ? j.failure_reason : undefined,
    allowFailure: j.allow_failure ?? false,
    webUrl: project.webUrl ? `${project.webUrl}/-/jobs/${j.id}` : undefined,
    environment: j.environment?.name,
  }));
  const c = b.commit;
  const payload: GitlabPipelineEvent = clean({
    project, pipelineId: a.id, iid: a.iid, name: a.name, ref: a.ref, tag: a.tag ?? false, sha: a.sha,
    status: a.status, source: a.source, webUrl, createdAt: isoTime(a.created_at), finishedAt: isoTime(a.finished_at),
    durationSeconds: a.duration, user: toUser(b.user),
    commit: c ? clean({ id: c.id, title: c.title ?? (c.message ?? '').split('\n')[0] ?? '', url: c.url, authorName: c.author?.name }) : undefined,
    builds,
    variables: Object.fromEntries((a.variables ?? []).map((v) => [v.key, v.value])),
    mergeRequest: b.merge_request ? clean({ iid: b.merge_request.iid, title: b.merge_request.title, url: b.merge_request.url }) : undefined,
  });
  return { type: `gitlab.pipeline.${a.status}`, payload, occurredAt: Date.parse(payload.finishedAt ?? payload.createdAt ?? '') || 0 };
}

const jobWire = z.object({
  build_id: z.number(), build_name: z.string(), build_stage: str, build_status: z.string(),
  build_failure_reason: str, build_allow_failure: opt(z.boolean()), build_finished_at: str, build_created_at: str,
  retries_count: num, pipeline_id: z.number(), project_id: z.number(), ref: z.string(), sha: z.string(),
  project: opt(projectWire), environment: opt(z.object({ name: z.string() })),
});

function mapJob(body: unknown): DomainEvent<GitlabJobEvent> {
  const b = jobWire.parse(body);
  const project = b.project ? toProject(b.project) : { id: b.project_id };
  const payload: GitlabJobEvent = clean({
    project, jobId: b.build_id, name: b.build_name, stage: b.build_stage ?? '', status: b.build_status,
    pipelineId: b.pipeline_id, ref: b.ref, sha: b.sha,
    // Real captures carry a failure_reason even on success (gitlab.md §2.3): keep it only for failures.
    failureReason: b.build_status === 'failed' ? b.build_failure_reason : undefined,
    allowFailure: b.build_allow_failure ?? false, retries: b.retries_count, environment: b.environment?.name,
    webUrl: project.webUrl ? `${project.webUrl}/-/jobs/${b.build_id}` : undefined,
  });
  return { type: `gitlab.job.${b.build_status}`, payload, occurredAt: Date.parse(isoTime(b.build_finished_at ?? b.build_created_at) ?? '') || 0 };
}

/** MR `action` → event verb (gitlab.md §2.4); a missing action is an update. */
const MR_ACTIONS: Record<string, string> = { open: 'opened', close: 'closed', reopen: 'reopened', merge: 'merged', update: 'updated' };
const mrWire = z.object({
  project: projectWire, user: opt(userWire),
  object_attributes: z.object({
    id: z.number(), iid: z.number(), action: str, state: z.string(), title: z.string(),
    source_branch: z.string(), target_branch: z.string(), url: str, updated_at: str, merge_commit_sha: str,
    last_commit: opt(z.object({ author: opt(z.object({ name: str })) })),
  }),
});

function mapMergeRequest(body: unknown): DomainEvent<GitlabMergeRequestEvent> {
  const b = mrWire.parse(body);
  const a = b.object_attributes;
  const action = a.action ?? 'update';
  const payload: GitlabMergeRequestEvent = clean({
    project: toProject(b.project), id: a.id, iid: a.iid, action, state: a.state, title: a.title,
    sourceBranch: a.source_branch, targetBranch: a.target_branch, url: a.url, user: toUser(b.user),
    author: a.last_commit?.author?.name ? { name: a.last_commit.author.name } : undefined,
    updatedAt: isoTime(a.updated_at), mergeCommitSha: a.merge_commit_sha,
  });
  return { type: `gitlab.merge_request.${MR_ACTIONS[action] ?? action}`, payload, occurredAt: Date.parse(payload.updatedAt ?? '') || 0 };
}

const pushWire = z.object({
  ref: z.string(), before: z.string(), after: z.string(), checkout_sha: str, message: str,
  user_username: str, user_name: str, project: projectWire, ref_protected: opt(z.boolean()),
  total_commits_count: num,
  commits: opt(z.array(z.object({ id: z.string(), title: str, message: str, url: str, author: opt(z.object({ name: str })) }))),
});

function mapTag(body: unknown): DomainEvent<GitlabTagEvent> {
  const b = pushWire.parse(body);
  const deleted = ZERO_SHA.test(b.after);
  const payload: GitlabTagEvent = clean({
    project: toProject(b.project), tag: b.ref.replace(/^refs\/tags\//, ''),
    // `after` is the tag object for annotated tags: checkout_sha is the commit (gitlab.md §2.5).
    sha: deleted ? undefined : (b.checkout_sha ?? b.after), message: b.message ?? undefined,
    user: toUser({ username: b.user_username, name: b.user_name }), protected: b.ref_protected,
  });
  return { type: deleted ? 'gitlab.tag.deleted' : 'gitlab.tag.created', payload, occurredAt: 0 };
}

function mapPush(body: unknown): DomainEvent<GitlabPushEvent> {
  const b = pushWire.parse(body);
  const payload: GitlabPushEvent = clean({
    project: toProject(b.project), branch: b.ref.replace(/^refs\/heads\//, ''), before: b.before, after: b.after,
    created: ZERO_SHA.test(b.before), deleted: ZERO_SHA.test(b.after),
    totalCommits: b.total_commits_count ?? (b.commits ?? []).length,
    commits: (b.commits ?? []).map((c) => clean({ id: c.id, title: c.title ?? (c.message ?? '').split('\n')[0] ?? '', url: c.url, authorName: c.author?.name })),
    user: toUser({ username: b.user_username, name: b.user_name }),
  });
  return { type: 'gitlab.push', payload, occurredAt: 0 };
}

const deploymentWire = z.object({
  status: z.string(), deployment_id: z.number(), environment: z.string(), environment_tier: str,
  environment_external_url: str, deployable_id: num, deployable_url: str, short_sha: str, commit_title: str,
  commit_url: str, ref: str, status_changed_at: str, project: projectWire, user: opt(userWire),
});

function mapDeployment(body: unknown): DomainEvent<GitlabDeploymentEvent> {
  const b = deploymentWire.parse(body);
  const payload: GitlabDeploymentEvent = clean({
    project: toProject(b.project), deploymentId: b.deployment_id, status: b.status, environment: b.environment,
    environmentTier: b.environment_tier, environmentUrl: b.environment_external_url || undefined,
    jobId: b.deployable_id, jobUrl: b.deployable_url, shortSha: b.short_sha, commitTitle: b.commit_title,
    commitUrl: b.commit_url, ref: b.ref, user: toUser(b.user), statusChangedAt: isoTime(b.status_changed_at),
  });
  return { type: `gitlab.deployment.${b.status}`, payload, occurredAt: Date.parse(payload.statusChangedAt ?? '') || 0 };
}

const RELEASE_ACTIONS: Record<string, string> = { create: 'created', update: 'updated', delete: 'deleted' };
const releaseWire = z.object({
  action: z.string(), tag: z.string(), name: str, description: str, url: str, released_at: str, project: projectWire,
});

function mapRelease(body: unknown): DomainEvent<GitlabReleaseEvent> {
  const b = releaseWire.parse(body);
  const payload: GitlabReleaseEvent = clean({
    project: toProject(b.project), action: b.action, tag: b.tag, name: b.name, description: b.description,
    url: b.url, releasedAt: isoTime(b.released_at),
  });
  return { type: `gitlab.release.${RELEASE_ACTIONS[b.action] ?? b.action}`, payload, occurredAt: Date.parse(payload.releasedAt ?? '') || 0 };
}

/**
 * The wire schema of each known kind: what its mapper relies on. `identify` checks a verified body
 * against it, so a signed body of the wrong shape is a 400 with the reason at the door (contract.md)
 * instead of a stored delivery that fails later.
 */
const WIRES: Record<string, z.ZodType> = {
  pipeline: pipelineWire, build: jobWire, merge_request: mrWire, tag_push: pushWire,
  push: pushWire, deployment: deploymentWire, release: releaseWire,
};

/** Why `body` is not a `kind` payload (the first problem, with its path), or undefined when it is one or the kind is unknown. */
export function gitlabShapeProblem(kind: string, body: unknown): string | undefined {
  const r = WIRES[kind]?.safeParse(body);
  if (!r || r.success) return undefined;
  const i = r.error.issues[0]!;
  return `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`;
}

const MAPPERS: Record<string, (body: unknown) => DomainEvent> = {
  pipeline: mapPipeline, build: mapJob, merge_request: mapMergeRequest, tag_push: mapTag,
  push: mapPush, deployment: mapDeployment, release: mapRelease,
};

/** `X-Gitlab-Event` header value → `object_kind` it should carry (gitlab.md §1.5). */
export const EVENT_HEADER_KINDS: Record<string, string> = {
  'Pipeline Hook': 'pipeline', 'Job Hook': 'build', 'Merge Request Hook': 'merge_request',
  'Tag Push Hook': 'tag_push', 'Push Hook': 'push', 'Deployment Hook': 'deployment', 'Release Hook': 'release',
};

/** The kind we store a delivery under: `object_kind`, else the header (group-only hooks have none). */
export function deliveryKind(body: { object_kind?: unknown }, eventHeader: string | undefined): string {
  if (typeof body.object_kind === 'string' && body.object_kind) return body.object_kind;
  return (eventHeader ?? 'unknown').toLowerCase().replace(/ hook$/, '').replace(/\s+/g, '_');
}

/**
 * Map one delivery body to its domain events; unknown kinds map to none. Throws (zod) when a known
 * kind lacks what its card needs. `occurredAt` falls back to `receivedAt`.
 */
export function mapGitlabDelivery(kind: string, body: unknown, receivedAt: number, deliveryId?: string): DomainEvent[] {
  const mapper = MAPPERS[kind];
  if (!mapper) return [];
  const ev = mapper(body);
  return [{ ...ev, occurredAt: ev.occurredAt || receivedAt, ...(deliveryId ? { deliveryId } : {}) }];
}
