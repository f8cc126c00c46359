import { z } from 'zod';
import { statsCard } from '../cards/stats.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { STATS } from '../src/metrics/stats.ts';

/** `7d`, `30d`, `90d` (contract.md): the windows the DORA gauges also export. */
const WINDOW = z.enum(['7d', '30d', '90d']);

export default defineCommand({
  name: 'stats',
  aliases: ['统计'],
  summary: { 'zh-CN': '查看产品的交付指标（DORA）', en: 'Show a product\'s delivery metrics (DORA)' },
  params: ['product', 'window'],
  args: z.object({ product: z.string().min(1), window: WINDOW.default('7d') }),
  examples: ['/stats demo', '/stats demo 30d'],
  uses: { stats: STATS },
  permission: 'anyone',
  async run(ctx) {
    const days = Number(ctx.args.window.slice(0, -1));
    return cardReply(statsCard(await ctx.stats.stats(ctx.args.product, days), ctx.t));
  },
});
