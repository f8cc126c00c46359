import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS } from '../src/deploy/command-helpers.ts';
import { describeFreeze } from '../src/freeze/gate.ts';
import { FREEZES } from '../src/freeze/service.ts';

export default defineCommand({
  name: 'unfreeze',
  aliases: ['解冻'],
  summary: { 'zh-CN': '解除 /freeze 设置的冻结', en: 'Lift a freeze set with /freeze' },
  params: ['product', 'env'],
  args: z.object({ product: z.string().min(1), env: z.string().min(1).optional() }),
  examples: ['/unfreeze demo prod', '/unfreeze demo'],
  uses: { freezes: FREEZES, deploys: DEPLOYS },
  permission: { roles: ['deployer'], scope: (args) => args.product },
  async run(ctx) {
    const { product, env } = ctx.args;
    ctx.deploys.model.product(product);
    if (env !== undefined) ctx.deploys.model.environment(product, env);
    const target = env ? `${product} ${env}` : product;
    const lifted = await ctx.freezes.unfreeze({ product, env });
    // A configured window is not lifted from chat: say so, so nobody believes the env is open.
    const still = (await ctx.freezes.active({ product, env })).find((f) => f.source === 'config');
    const body = still ? ctx.t('freeze.unfreeze.configStill', { freeze: describeFreeze(still, ctx.t) }) : undefined;
    if (!lifted) return cardReply(noticeCard(ctx.t('freeze.unfreeze.none', { target }), 'info', body));
    return cardReply(noticeCard(ctx.t('freeze.unfreeze.done', { target }), still ? 'warning' : 'success', body));
  },
});
