import { z } from 'zod';
import { gitlabPipelineListCard } from '../cards/gitlab-pipeline.ts';
import { defineCommand, type CommandContext } from '../src/core/define-command.ts';
import { UpstreamError, UserFacingError } from '../src/core/errors.ts';
import { cardReply, text } from '../src/core/message.ts';
import { canOn } from '../src/core/permissions.ts';
import { environmentsDeployedBy } from '../src/deploy/engines/gitlab-pipeline.ts';
import { enforceFreezeOnAny } from '../src/freeze/gate.ts';
import { FREEZES } from '../src/freeze/service.ts';
import { GITLAB } from '../src/sources/gitlab/service.ts';

type T = CommandContext<unknown>['t'];

/** GitLab API failures as a clear chat message (gitlab.md §3.1, §3.10); the token never appears. */
export function gitlabUserError(err: unknown, t: T, what: string): never {
  if (!(err instanceof UpstreamError)) throw err;
  const detail = err.message.replace(/^gitlab: HTTP \d+: /, '');
  switch (err.status) {
    case 401:
      throw new UserFacingError('E_UPSTREAM', t('gitlab.error.401'));
    case 403:
      throw new UserFacingError('E_PERMISSION', t('gitlab.error.403', { detail }));
    case 404:
      throw new UserFacingError('E_NOT_FOUND', t('gitlab.error.404', { what }));
    case 429:
      throw new UserFacingError('E_UPSTREAM', t('gitlab.error.429', { seconds: err.retryAfterSeconds ?? 60 }));
    case 400:
      throw new UserFacingError('E_UPSTREAM', t('gitlab.error.400', { detail }));
    default:
      throw new UserFacingError('E_UPSTREAM', t('gitlab.error.other', { status: err.status, detail }));
  }
}

/**
 * `/gitlab pipelines <product> [ref]`, `/gitlab retry <product> <id>`, `/gitlab cancel <product> <id>`
 * (issue 8 §6). Listing is for anyone; retry and cancel need `deployer` (admin passes). The failure
 * card's Retry button runs `/gitlab retry …` as the clicking user. A retry is held by a deploy freeze
 * on the environments its pipeline's ref deploys (src/freeze/gate.ts).
 */
export default defineCommand({
  name: 'gitlab',
  aliases: ['gl'],
  summary: { 'zh-CN': '查看、重试、取消 GitLab 流水线', en: 'List, retry and cancel GitLab pipelines' },
  params: ['action', 'product', 'target'],
  args: z.object({
    action: z.enum(['pipelines', 'retry', 'cancel']),
    product: z.string().min(1),
    target: z.string().optional(),
    overrideFreeze: z.boolean().optional(),
  }),
  examples: ['/gitlab pipelines demo', '/gitlab pipelines demo main', '/gitlab retry demo 287', '/gitlab retry demo 287 --override-freeze', '/gitlab cancel demo 287'],
  uses: { gitlab: GITLAB, freezes: FREEZES },
  permission: 'anyone',
  async run(ctx) {
    const { t, args, config, gitlab: gl } = ctx;
    const product = Object.hasOwn(config.products, args.product) ? config.products[args.product] : undefined;
    if (!product) {
      throw new UserFacingError('E_NOT_FOUND', t('gitlab.cmd.unknownProduct', { product: args.product, valid: Object.keys(config.products).join(', ') || '-' }));
    }
    const project = product.gitlabProject;
    if (!project) throw new UserFacingError('E_NOT_FOUND', t('gitlab.cmd.noProject', { product: args.product }));

    if (args.action === 'pipelines') {
      const ref = args.target;
      const items = await gl.api
        .listPipelines(project, { perPage: gl.config.pipelinesListSize, ...(ref ? { ref } : {}) })
        .catch((e: unknown) => gitlabUserError(e, t, project));
      return cardReply(
        gitlabPipelineListCard(
          {
            product: args.product,
            ...(ref ? { ref } : {}),
            now: ctx.clock(),
            items: items.map((p) => ({
              id: p.id, status: p.status, ref: p.ref, webUrl: p.webUrl,
              ...(p.user ? { author: p.user.name || p.user.username } : {}),
              ...(p.createdAt ? { createdAt: p.createdAt } : {}),
            })),
          },
          t,
        ),
      );
    }

    if (!canOn(ctx.person, { roles: ['deployer'] }, args.product)) throw new UserFacingError('E_PERMISSION', t('gitlab.cmd.needDeployer'));
    const id = Number(args.target);
    if (!args.target || !Number.isInteger(id) || id <= 0) throw new UserFacingError('E_USAGE', t('gitlab.cmd.needId', { action: args.action }));
    const what = `${project} #${id}`;
    if (args.action === 'retry') {
      // A retry re-runs the pipeline's deploy jobs: a freeze on an environment that pipeline deploys
      // holds it as it holds /deploy (admins pass with --override-freeze, audited).
      const current = await gl.api.getPipeline(project, id).catch((e: unknown) => gitlabUserError(e, t, what));
      const envs = environmentsDeployedBy(product, project, current.ref);
      await enforceFreezeOnAny(ctx, { product: args.product, envs, kind: 'deploy', override: args.overrideFreeze });
      const p = await gl.api.retryPipeline(project, id).catch((e: unknown) => gitlabUserError(e, t, what));
      return text(t('gitlab.cmd.retried', { id: p.id, status: p.status, url: p.webUrl }));
    }
    const p = await gl.api.cancelPipeline(project, id).catch((e: unknown) => gitlabUserError(e, t, what));
    // Cancel answers 200 whatever the state (gitlab.md §3.6): report what GitLab says it is now.
    const ok = p.status === 'canceled' || p.status === 'canceling';
    return text(t(ok ? 'gitlab.cmd.canceled' : 'gitlab.cmd.notCanceled', { id: p.id, status: p.status, url: p.webUrl }));
  },
});
