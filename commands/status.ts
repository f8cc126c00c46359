import { z } from 'zod';
import { freezesCard } from '../cards/freezes.ts';
import { statusCard } from '../cards/status.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS } from '../src/deploy/command-helpers.ts';
import { FREEZES } from '../src/freeze/service.ts';

export default defineCommand({
  name: 'status',
  aliases: ['状态'],
  summary: { 'zh-CN': '查看各环境部署了哪个版本', en: 'Show which release runs on each environment' },
  params: ['product'],
  args: z.object({ product: z.string().min(1).optional() }),
  examples: ['/status', '/status demo'],
  uses: { deploys: DEPLOYS, freezes: FREEZES },
  permission: 'anyone',
  async run(ctx) {
    const cards = statusCard(await ctx.deploys.status(ctx.args.product), ctx.t);
    const frozen = await ctx.freezes.active({ product: ctx.args.product });
    if (frozen.length) cards.push(freezesCard(frozen, ctx.t));
    // Several products: one card each, the last one as the answer.
    for (const c of cards.slice(0, -1)) await ctx.reply(cardReply(c));
    const last = cards.at(-1);
    return last ? cardReply(last) : undefined;
  },
});
