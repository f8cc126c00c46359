import { z } from 'zod';
import { deployPlanCard } from '../cards/deploy-plan.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS, isProtected, requester } from '../src/deploy/command-helpers.ts';
import { askFreezeOverride, enforceFreeze } from '../src/freeze/gate.ts';
import { FREEZES } from '../src/freeze/service.ts';

export default defineCommand({
  name: 'deploy',
  aliases: ['部署'],
  summary: { 'zh-CN': '把产品的某个版本部署到环境（--dry-run 只看计划）', en: 'Deploy a release of a product to an environment (--dry-run shows the plan)' },
  params: ['product', 'release', 'env'],
  args: z.object({ product: z.string().min(1), release: z.string().min(1), env: z.string().min(1), dryRun: z.boolean().optional(), overrideFreeze: z.boolean().optional() }),
  examples: ['/deploy demo v1.1.0 env-1', '/deploy demo v1.1.0 prod --dry-run'],
  // `deployer:<product>` holders may run it on that product only (permissions.ts canOn).
  uses: { deploys: DEPLOYS, freezes: FREEZES },
  permission: { roles: ['deployer'], scope: (args) => args.product },
  // Protected environments ask the requester to confirm first (issue 4 §5); a dry run changes nothing.
  // A frozen env is refused, or (an admin's --override-freeze) confirmed as a freeze override (src/freeze/gate.ts).
  confirm: async (args, ctx) =>
    !args.dryRun && ((await askFreezeOverride(ctx, { ...args, kind: 'deploy', override: args.overrideFreeze })) || isProtected(ctx.deploys, args.product, args.env)),
  async run(ctx) {
    const { deploys } = ctx;
    const { product, release, env } = ctx.args;
    if (ctx.args.dryRun) return cardReply(deployPlanCard(await deploys.plan(product, release, env), ctx.t, { dryRun: true }));
    const overridden = await enforceFreeze(ctx, { product, env, kind: 'deploy', override: ctx.args.overrideFreeze });
    const { task, created } = await deploys.enqueue({ product, release, env, requestedBy: requester(ctx), message: ctx.message, ...(overridden ? { freezeOverride: true } : {}) });
    // The task card is sent (and then updated in place) by the deploy service under cardKey task:<id>.
    if (!created) await deploys.showTask(task.id, ctx.message);
  },
});
