/**
 * What opsbot does with `gitlab.*` events (issue 8 §3–5): failure/recovery cards for watched refs
 * (one per pipeline, `cardKey: gitlab:pipeline:<id>`, updated in place), merged-MR cards, release
 * candidate cards for tags, component versions and releases from tags, and `deploy.pipeline.updated`
 * for the deploy feature. The Outbox applies the per-chat budget and folds cards with the same key.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import type { DomainEvent } from '../../core/events.ts';
import { t as translate } from '../../core/i18n.ts';
import { cardReply } from '../../core/message.ts';
import type { CoreDeps } from '../../core/services.ts';
import type { GitlabApi } from '../../integrations/gitlab-api.ts';
import type { Card } from '../../../cards/model.ts';
import { gitlabMergeRequestCard } from '../../../cards/gitlab-merge-request.ts';
import { gitlabPipelineCard, type PipelineCardView, type PipelineJobView } from '../../../cards/gitlab-pipeline.ts';
import type { GitlabConfig } from './config.ts';
import type {
  DeployPipelineUpdated, GitlabDeploymentEvent, GitlabJobEvent, GitlabMergeRequestEvent, GitlabPipelineEvent, GitlabTagEvent,
} from './events.ts';
import { handleTagCreated } from './tags.ts';
import { configuredPath, matchProject, productChats, refWatched, watchedRefs } from './routing.ts';
import { movesForward, type PipelineState, type RefState } from './state.ts';

export interface GitlabReactionDeps {
  config: Pick<GitlabConfig, 'watchedRefs'>;
  /** Used to list failed jobs when a pipeline payload carries no `builds[]`. */
  api?: GitlabApi;
}

/** Shared helpers for the reaction modules. */
export interface ReactionContext {
  services: CoreDeps;
  t: (key: string, vars?: Record<string, string | number>) => string;
  send(chats: string[], card: Card, cardKey: string): Promise<void>;
  log: Logger;
}

export function reactionContext(services: CoreDeps): ReactionContext {
  const log = services.log.child({ source: 'gitlab' });
  return {
    services,
    log,
    t: (key, vars) => translate(services.locale, key, vars),
    async send(chats, card, cardKey) {
      if (!chats.length) log.debug({ cardKey }, 'no chats for this product; card not sent');
      for (const to of chats) await services.outbox.send({ to, reply: cardReply(card), cardKey });
    },
  };
}

/** Subscribe the GitLab reactions on `services.events`. Returns an unsubscribe function. */
export function registerGitlabReactions(services: CoreDeps, deps: GitlabReactionDeps): () => void {
  const ctx = reactionContext(services);
  const { store, events } = services;
  const pipelines = store.collection<PipelineState>('gitlab-pipelines', { tier: 'bulk', maxItems: 5000 });
  const refs = store.collection<RefState>('gitlab-refs', { tier: 'hot' });
  const jobs = store.collection<{ pipelineId: number }>('gitlab-jobs', { tier: 'bulk', maxItems: 20000 });
  const seen = store.collection<{ at: number }>('gitlab-seen', { tier: 'bulk', maxItems: 5000 });
  const cfg = (): Config => services.config;

  async function onPipeline(e: DomainEvent<GitlabPipelineEvent>): Promise<void> {
    const p = e.payload;
    // Remember which pipeline runs each deploy job: Deployment Hooks name the job, not the pipeline.
    for (const b of p.builds) if (b.environment) await jobs.put(`${p.project.id}:${b.id}`, { pipelineId: p.pipelineId });
    const maxBuildId = p.builds.reduce((m, b) => Math.max(m, b.id), 0);
    let applied = false;
    let prev: PipelineState | undefined;
    const key = `${p.project.id}:${p.pipelineId}`;
    await pipelines.update(key, (cur) => {
      prev = cur;
      applied = movesForward(cur, p.status, maxBuildId);
      if (!applied) return cur;
      return { ...cur, projectId: p.project.id, pipelineId: p.pipelineId, ref: p.ref, status: p.status, maxBuildId };
    });
    if (!applied) {
      ctx.log.debug({ pipeline: p.pipelineId, status: p.status, was: prev?.status }, 'stale or repeated pipeline snapshot ignored');
      return;
    }
    const path = p.project.path ?? String(p.project.id);
    const update: DeployPipelineUpdated = {
      project: configuredPath(cfg(), path, p.project.id), projectId: p.project.id, pipelineId: p.pipelineId, status: p.status, webUrl: p.webUrl, via: 'pipeline',
    };
    await events.emit({ type: 'deploy.pipeline.updated', payload: update, occurredAt: e.occurredAt, ...(e.deliveryId ? { deliveryId: e.deliveryId } : {}) });

    const match = matchProject(cfg(), p.project.path, p.project.id)[0];
    if (!match || !refWatched(p.ref, watchedRefs(deps.config.watchedRefs, p.project.defaultBranch))) return;
    const refKey = `${p.project.id}:${p.ref}`;
    let cardState: PipelineCardView['state'] | undefined;
    let recoveredFrom: number | undefined;
    const had = prev?.card;
    if (p.status === 'failed') {
      cardState = 'failed';
      await refs.update(refKey, (r) => ({ ...r, failing: Math.max(r?.failing ?? 0, p.pipelineId) }));
    } else if (p.status === 'success') {
      await refs.update(refKey, (r) => {
        if (r?.failing !== undefined && p.pipelineId >= r.failing) {
          recoveredFrom = r.failing;
          return {};
        }
        return r;
      });
      if (recoveredFrom !== undefined) cardState = 'recovered';
    } else if (had === 'failed' && !['canceled', 'canceling', 'skipped'].includes(p.status)) {
      cardState = 'retrying';
    } else if (had && (p.status === 'canceled' || p.status === 'canceling')) {
      cardState = 'canceled';
    }
    if (!cardState) return;
    const stored = cardState === 'succeeded' ? undefined : cardState;
    await pipelines.update(key, (cur) => (cur ? { ...cur, ...(stored ? { card: stored } : {}) } : cur));
    const failedJobs = cardState === 'failed' ? await failedJobsOf(p, path) : [];
    const view: PipelineCardView = {
      product: match.product, project: path, pipelineId: p.pipelineId, ref: p.ref, sha: p.sha, webUrl: p.webUrl, state: cardState, failedJobs,
      ...(p.commit?.title ? { commitTitle: p.commit.title } : {}),
      ...(p.commit?.url ? { commitUrl: p.commit.url } : {}),
      ...(p.commit?.authorName ?? p.user?.name ? { author: (p.commit?.authorName ?? p.user?.name)! } : {}),
      ...(recoveredFrom !== undefined ? { recoveredFrom } : {}),
      ...(p.durationSeconds != null ? { durationSeconds: p.durationSeconds } : {}),
    };
    await ctx.send(productChats(cfg(), match.product), gitlabPipelineCard(view, ctx.t), `gitlab:pipeline:${p.pipelineId}`);
  }

  async function failedJobsOf(p: GitlabPipelineEvent, path: string): Promise<PipelineJobView[]> {
    const fromPayload = p.builds.filter((b) => b.status === 'failed');
    if (fromPayload.length || p.builds.length || !deps.api) {
      return fromPayload.map((b) => ({ name: b.name, stage: b.stage, allowFailure: b.allowFailure, ...(b.failureReason ? { failureReason: b.failureReason } : {}), ...(b.webUrl ? { webUrl: b.webUrl } : {}) }));
    }
    try {
      const list = await deps.api.listPipelineJobs(path, p.pipelineId, { scope: ['failed'] });
      return list.map((j) => ({ name: j.name, stage: j.stage, webUrl: j.webUrl, allowFailure: j.allowFailure ?? false, ...(j.failureReason ? { failureReason: j.failureReason } : {}) }));
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message, pipeline: p.pipelineId }, 'could not list failed jobs');
      return [];
    }
  }

  async function onJob(e: DomainEvent<GitlabJobEvent>): Promise<void> {
    if (e.payload.environment) await jobs.put(`${e.payload.project.id}:${e.payload.jobId}`, { pipelineId: e.payload.pipelineId });
  }

  async function onDeployment(e: DomainEvent<GitlabDeploymentEvent>): Promise<void> {
    const d = e.payload;
    if (d.jobId === undefined) return; // created by API / trigger job: no pipeline to move
    const job = await jobs.get(`${d.project.id}:${d.jobId}`);
    if (!job) return;
    // A deployment's end is not its pipeline's end: report "running" and let the Pipeline Hook
    // (or the engine's poll) deliver the terminal status.
    const update: DeployPipelineUpdated & { deploymentStatus: string } = {
      project: configuredPath(cfg(), d.project.path ?? String(d.project.id), d.project.id), projectId: d.project.id, pipelineId: job.pipelineId,
      status: 'running', webUrl: d.jobUrl ?? '', via: 'deployment', environment: d.environment, deploymentStatus: d.status,
    };
    await events.emit({ type: 'deploy.pipeline.updated', payload: update, occurredAt: e.occurredAt, ...(e.deliveryId ? { deliveryId: e.deliveryId } : {}) });
  }

  async function onMerged(e: DomainEvent<GitlabMergeRequestEvent>): Promise<void> {
    const m = e.payload;
    const match = matchProject(cfg(), m.project.path, m.project.id)[0];
    if (!match) return;
    const defaults = m.project.defaultBranch ? [m.project.defaultBranch] : watchedRefs(deps.config.watchedRefs, undefined);
    if (!defaults.includes(m.targetBranch)) return;
    if (!(await seen.insertIfAbsent(`mr:${m.project.id}:${m.iid}:merged`, { at: e.occurredAt }))) return;
    const card = gitlabMergeRequestCard({
      product: match.product, project: m.project.path ?? String(m.project.id), iid: m.iid, title: m.title,
      sourceBranch: m.sourceBranch, targetBranch: m.targetBranch,
      ...(m.author?.name ? { author: m.author.name } : {}),
      ...(m.user?.name ?? m.user?.username ? { mergedBy: (m.user?.name ?? m.user?.username)! } : {}),
      ...(m.url ? { url: m.url } : {}),
    }, ctx.t);
    await ctx.send(productChats(cfg(), match.product), card, `gitlab:mr:${m.project.id}:${m.iid}`);
  }

  async function onTag(e: DomainEvent<GitlabTagEvent>): Promise<void> {
    const tg = e.payload;
    if (!(await seen.insertIfAbsent(`tag:${tg.project.id}:${tg.tag}:${tg.sha ?? ''}`, { at: e.occurredAt }))) return;
    await handleTagCreated(ctx, tg, e.occurredAt);
  }

  const offs = [
    events.on('gitlab.pipeline.*', onPipeline),
    events.on('gitlab.job.*', onJob),
    events.on('gitlab.deployment.*', onDeployment),
    events.on('gitlab.merge_request.merged', onMerged),
    events.on('gitlab.tag.created', onTag),
  ];
  return () => offs.forEach((off) => off());
}
