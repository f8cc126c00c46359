import { z } from 'zod';
import { defineCommand } from '../src/core/define-command.ts';
import { DEPLOYS, isProtected, requester } from '../src/deploy/command-helpers.ts';
import { askFreezeOverride, enforceFreeze } from '../src/freeze/gate.ts';
import { FREEZES } from '../src/freeze/service.ts';

export default defineCommand({
  name: 'rollback',
  aliases: ['回滚'],
  summary: { 'zh-CN': '把环境回滚到上一个版本（或 --to 指定的版本）', en: 'Roll an environment back to the previous release (or --to one)' },
  params: ['product', 'env'],
  args: z.object({ product: z.string().min(1), env: z.string().min(1), to: z.string().min(1).optional(), overrideFreeze: z.boolean().optional() }),
  valueFlags: ['to'],
  examples: ['/rollback demo env-1', '/rollback demo env-1 --to v1.0.0'],
  // `deployer:<product>` holders may run it on that product only (permissions.ts canOn).
  uses: { deploys: DEPLOYS, freezes: FREEZES },
  permission: { roles: ['deployer'], scope: (args) => args.product },
  // Rollbacks pass a freeze unless the freeze says otherwise (allowRollback, src/freeze/gate.ts).
  confirm: async (args, ctx) =>
    (await askFreezeOverride(ctx, { ...args, kind: 'rollback', override: args.overrideFreeze })) || isProtected(ctx.deploys, args.product, args.env),
  async run(ctx) {
    const { deploys } = ctx;
    const { product, env, to } = ctx.args;
    const overridden = await enforceFreeze(ctx, { product, env, kind: 'rollback', override: ctx.args.overrideFreeze });
    const { task, created } = await deploys.rollback({ product, env, ...(to ? { to } : {}), requestedBy: requester(ctx), message: ctx.message, ...(overridden ? { freezeOverride: true } : {}) });
    if (!created) await deploys.showTask(task.id, ctx.message);
  },
});
