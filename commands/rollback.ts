import { z } from 'zod';
import { defineCommand } from '../src/core/define-command.ts';
import { DEPLOYS, isProtected, requester } from '../src/deploy/command-helpers.ts';

export default defineCommand({
  name: 'rollback',
  aliases: ['回滚'],
  summary: { 'zh-CN': '把环境回滚到上一个版本（或 --to 指定的版本）', en: 'Roll an environment back to the previous release (or --to one)' },
  params: ['product', 'env'],
  args: z.object({ product: z.string().min(1), env: z.string().min(1), to: z.string().min(1).optional() }),
  valueFlags: ['to'],
  examples: ['/rollback demo env-1', '/rollback demo env-1 --to v1.0.0'],
  // `deployer:<product>` holders may run it on that product only (permissions.ts canOn).
  uses: { deploys: DEPLOYS },
  permission: { roles: ['deployer'], scope: (args) => args.product },
  confirm: (args, ctx) => isProtected(ctx.deploys, args.product, args.env),
  async run(ctx) {
    const { deploys } = ctx;
    const { product, env, to } = ctx.args;
    const { task, created } = await deploys.rollback({ product, env, ...(to ? { to } : {}), requestedBy: requester(ctx), message: ctx.message });
    if (!created) await deploys.showTask(task.id, ctx.message);
  },
});
