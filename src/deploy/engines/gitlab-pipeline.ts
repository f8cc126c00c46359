/**
 * The `gitlab-pipeline` engine: create a pipeline on the product's project with OPSBOT_* variables
 * and/or `spec:inputs` (gitlab.md §3.2), or with a trigger token (§3.3), follow it by polling with
 * backoff and by `deploy.pipeline.updated` events from the GitLab webhook source (gitlab.md §2.2: hooks
 * fire on every transition, may repeat or arrive out of order, so any terminal status is confirmed by
 * the same handler only once), cancel on `/cancel`: the cancel API answers 200 whatever the pipeline's
 * state (§3.6), so the task ends as GitLab reports the pipeline — `canceled`, or `success` if it won the race.
 */
import { z } from 'zod';
import type { EventBus } from '../../core/events.ts';
import { GITLAB } from '../../sources/gitlab/service.ts';
import type { GitlabEngineConfig } from '../config.ts';
import { componentEnvName } from '../model.ts';
import { renderTemplate, templateProblems } from './jenkins-templates.ts';
import type { EngineRef } from '../tasks.ts';
import { defineEngine, deployVariables, triggeredRun, type Engine, type EngineContext, type EngineResult, type EngineRun } from './types.ts';

/** A pipeline as src/integrations/gitlab-api.ts returns it. */
export interface GitlabPipeline {
  id: number;
  status: string;
  ref: string;
  sha: string;
  webUrl: string;
}

/** The part of the GitLab API client this engine needs (declared here so it can be stubbed). */
export interface GitlabPipelineApi {
  createPipeline(project: string, ref: string, variables: Record<string, string>, opts?: { inputs?: Record<string, string> }): Promise<GitlabPipeline>;
  triggerPipeline?(project: string, trigger: { token: string; ref: string; variables?: Record<string, string>; inputs?: Record<string, string> }): Promise<GitlabPipeline>;
  getPipeline(project: string, id: number): Promise<GitlabPipeline>;
  cancelPipeline(project: string, id: number): Promise<GitlabPipeline>;
}

declare module '../../core/events.ts' {
  interface EventMap {
    /** A deploy pipeline moved (emitted by the GitLab source's reactions). */
    'deploy.pipeline.updated': PipelineUpdatedPayload;
  }
}

/** Payload of `deploy.pipeline.updated` (emitted by the GitLab webhook source). */
export interface PipelineUpdatedPayload {
  project: string;
  /** The numeric id (webhooks carry it): matches an engine given `project: "42"`. */
  projectId?: number;
  pipelineId: number;
  status: string;
  webUrl?: string;
  /** `deployment`: status is a deployment's (one job), not the pipeline's; it only prompts a poll. */
  via?: 'pipeline' | 'deployment';
}

export interface GitlabEngineOptions {
  api?: GitlabPipelineApi;
  events?: EventBus;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  clock?: () => number;
}

/** GitLab pipeline status → engine outcome; undefined while not finished (gitlab.md §2.2). */
export function mapPipelineStatus(status: string): EngineResult | undefined {
  switch (status) {
    case 'success':
      return { outcome: 'succeeded' };
    case 'failed':
      return { outcome: 'failed', reason: 'pipeline failed' };
    case 'canceled':
      return { outcome: 'cancelled', reason: 'pipeline canceled' };
    case 'skipped':
      return { outcome: 'failed', reason: 'pipeline skipped' };
    default:
      return undefined; // `canceling` too: GitLab is still stopping jobs (gitlab.md §2.2)
  }
}

/** GitLab's 400 when the project forbids pipeline variables to the token's role (gitlab.md §3.2). */
const VARIABLES_FORBIDDEN = 'Insufficient permissions to set pipeline variables';

/** Why creating the pipeline failed, with the way out when the project forbids variables. */
export function explainCreateFailure(message: string, project: string): string {
  if (!message.includes(VARIABLES_FORBIDDEN)) return message;
  return (
    `GitLab refused the pipeline variables ("${VARIABLES_FORBIDDEN}"): project ${project} lets only the role in its ` +
    'ci_pipeline_variables_minimum_override_role setting set them (Settings → CI/CD → Variables, "Minimum role to use pipeline variables"; ' +
    'new GitLab.com projects default to no_one_allowed). Allow the bot user\'s role there, or set engine.sendVariables: false and pass the values as engine.inputs (spec:inputs).'
  );
}

export function createGitlabPipelineEngine(opts: GitlabEngineOptions): Engine {
  const clock = opts.clock ?? Date.now;
  const stamp = (line: string) => `${new Date(clock()).toISOString()} ${line}`;

  /** Follow a created pipeline to its end. */
  function follow(ctx: EngineContext, ref: Required<Pick<EngineRef, 'pipelineId' | 'project'>>, api: GitlabPipelineApi) {
    let finish!: (r: EngineResult) => void;
    const done = new Promise<EngineResult>((r) => (finish = r));
    let over = false;
    let cancelAsked = false;
    let last = '';
    let interval = opts.pollIntervalMs;
    let timer: NodeJS.Timeout | undefined;
    let pollSoon = false;

    const end = (r: EngineResult) => {
      if (over) return;
      over = true;
      if (timer) clearTimeout(timer);
      off?.();
      finish(r);
    };
    const observe = (status: string) => {
      if (over) return;
      if (status !== last) {
        last = status;
        interval = opts.pollIntervalMs; // movement: poll briskly again
        ctx.hooks.log([stamp(`pipeline #${ref.pipelineId}: ${status}`)]);
      }
      const r = mapPipelineStatus(status);
      if (r && cancelAsked && r.outcome !== 'cancelled') ctx.hooks.log([stamp(`pipeline #${ref.pipelineId} ended ${status} before the cancel took effect`)]);
      if (r) end(r);
    };
    const pollNow = () => {
      if (timer) {
        clearTimeout(timer);
        timer = setTimeout(() => void poll(), 0);
      } else pollSoon = true; // a poll is in flight: make the next one immediate
    };
    const poll = async () => {
      timer = undefined;
      try {
        observe((await api.getPipeline(ref.project, ref.pipelineId)).status);
      } catch (err) {
        // Transient API trouble does not fail a deploy; the timeout bounds it.
        ctx.hooks.log([stamp(`pipeline #${ref.pipelineId}: poll failed: ${(err as Error).message}`)]);
      }
      if (!over) {
        timer = setTimeout(() => void poll(), pollSoon ? 0 : interval);
        if (!pollSoon) interval = Math.min(Math.round(interval * 1.5), opts.maxPollIntervalMs);
        pollSoon = false;
      }
    };
    const off = opts.events?.on('deploy.pipeline.updated', (e) => {
      const sameProject = e.payload.project === ref.project || (e.payload.projectId !== undefined && String(e.payload.projectId) === ref.project);
      if (!sameProject || Number(e.payload.pipelineId) !== ref.pipelineId || over) return;
      if (e.payload.via === 'deployment') {
        // A job's deployment moved: ask GitLab about the pipeline now instead of waiting for the next poll.
        pollNow();
        return;
      }
      observe(e.payload.status);
    });
    timer = setTimeout(() => void poll(), 0);

    return {
      done,
      cancel() {
        if (over) return;
        cancelAsked = true;
        // 200 whatever the state (§3.6): the answer's status, then the polls, say how the pipeline ended.
        api.cancelPipeline(ref.project, ref.pipelineId).then(
          (p) => {
            ctx.hooks.log([stamp(`pipeline #${ref.pipelineId}: cancel asked, GitLab reports ${p.status}`)]);
            observe(p.status);
            if (!over) pollNow();
          },
          (err: Error) => ctx.hooks.log([stamp(`pipeline #${ref.pipelineId}: cancel failed: ${err.message}`)]),
        );
      },
      detach() {
        over = true;
        if (timer) clearTimeout(timer);
        off?.();
      },
    } satisfies EngineRun;
  }

  return {
    start(ctx) {
      const api = opts.api;
      const cfg = ctx.environment.engine as GitlabEngineConfig;
      const project = cfg.project ?? ctx.product.gitlabProject;
      if (!api || !project) {
        return { done: Promise.resolve({ outcome: 'failed', reason: api ? 'no gitlab project configured' : 'gitlab not configured' }), cancel() {} };
      }
      return triggeredRun(async () => {
        // sendVariables: false — projects that forbid pipeline variables (GitLab.com default) get none at all.
        const variables = cfg.sendVariables === false ? {} : { ...(cfg.variables ?? {}), ...deployVariables(ctx.task, componentEnvName) };
        const inputs = Object.fromEntries(Object.entries(cfg.inputs ?? {}).map(([k, v]) => [k, renderTemplate(v, ctx.task)]));
        let p: GitlabPipeline;
        try {
          if (cfg.triggerToken) {
            if (!api.triggerPipeline) return { outcome: 'failed', reason: 'this GitLab client cannot use trigger tokens' };
            p = await api.triggerPipeline(project, { token: cfg.triggerToken, ref: cfg.ref, variables, inputs });
          } else p = await api.createPipeline(project, cfg.ref, variables, { inputs });
        } catch (err) {
          return { outcome: 'failed', reason: explainCreateFailure((err as Error).message, project) };
        }
        await ctx.hooks.setRef({ pipelineId: p.id, project, webUrl: p.webUrl });
        ctx.hooks.log([stamp(`pipeline #${p.id} created on ${project} @ ${cfg.ref}: ${p.webUrl}`)]);
        return follow(ctx, { pipelineId: p.id, project }, api);
      });
    },
    resume(ctx) {
      const ref = ctx.task.engineRef;
      if (!opts.api || ref?.pipelineId === undefined || !ref.project) return undefined;
      ctx.hooks.log([stamp(`re-attached to pipeline #${ref.pipelineId} after restart`)]);
      return follow(ctx, { pipelineId: ref.pipelineId, project: ref.project }, opts.api);
    },
  };
}

/** `type: gitlab-pipeline`: create a pipeline on `ref` and follow it (gitlab.md §2). */
export const gitlabPipelineEngine = defineEngine({
  type: 'gitlab-pipeline',
  configSchema: z.strictObject({
    type: z.literal('gitlab-pipeline'),
    project: z.string().optional(),
    ref: z.string().min(1, { error: 'must not be empty' }),
    variables: z.record(z.string(), z.string()).optional(),
    /** `spec:inputs` of the pipeline: name → template with {product}, {release}, {env}, {version:<component>}. */
    inputs: z.record(z.string().min(1), z.string()).optional(),
    /** false: send no pipeline variables at all (not even OPSBOT_*), for projects that forbid them. Default true. */
    sendVariables: z.boolean().optional(),
    /** Start the pipeline with this trigger token (`POST /projects/:id/trigger/pipeline`) instead of the API token. */
    triggerToken: z.string().min(1, { error: 'must not be empty' }).optional(),
  }),
  // The pipeline runs on GitLab: shutdown only stops following it, and any replica can re-attach.
  capabilities: { detachable: true, cancellable: true, followsExternalRun: true },
  problems: (engine, product, at) => [
    ...(engine.project || product.gitlabProject
      ? []
      : [{ path: `${at}.project`, message: 'no GitLab project for the pipeline engine', hint: `set ${at.replace(/\.environments\..*$/, '')}.gitlabProject or engine.project: group/name` }]),
    ...(engine.sendVariables === false && engine.variables
      ? [{ path: `${at}.variables`, message: 'not sent: sendVariables is false', hint: 'pass the values as engine.inputs' }]
      : []),
    ...Object.entries(engine.inputs ?? {}).flatMap(([name, template]) =>
      templateProblems(template, product.components ?? []).map((message) => ({
        path: `${at}.inputs.${name}`,
        message,
        hint: 'placeholders: {product}, {release}, {env}, {version:<component>}',
      })),
    ),
  ],
  create: ({ config, events, clock, services }) => {
    const api = services.get(GITLAB)?.api;
    return createGitlabPipelineEngine({ ...(api ? { api } : {}), events, pollIntervalMs: config.pollIntervalMs, maxPollIntervalMs: config.maxPollIntervalMs, clock });
  },
});

/**
 * The environments of a product that a pipeline of `project` on `ref` deploys: those whose engine is a
 * `gitlab-pipeline` on that project and ref. `/gitlab retry` asks so that a retried deploy pipeline is
 * held by a freeze on its environment as /deploy would be.
 */
export function environmentsDeployedBy(
  product: { gitlabProject?: string | undefined; environments: Record<string, { engine: unknown }> },
  project: string,
  ref: string,
): string[] {
  const parsed = (e: unknown) => gitlabPipelineEngine.configSchema.safeParse(e);
  return Object.entries(product.environments).flatMap(([env, { engine }]) => {
    const r = parsed(engine);
    return r.success && (r.data.project ?? product.gitlabProject)?.toLowerCase() === project.toLowerCase() && r.data.ref === ref ? [env] : [];
  });
}
