import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { deploysOf, requester, TASK_ID_RE } from '../src/deploy/command-helpers.ts';

export default defineCommand({
  name: 'cancel',
  aliases: ['取消'],
  summary: { 'zh-CN': '取消部署任务；不带任务号时取消待确认的操作', en: 'Cancel a deploy task; without an id, the pending confirmation' },
  params: ['id'],
  args: z.object({ id: z.string().regex(TASK_ID_RE).optional() }),
  examples: ['/cancel 12', '/cancel'],
  // The product comes from the task; an unknown id (or a bare /cancel) has none, and run() reports it.
  permission: { roles: ['deployer'], scope: async (args, ctx) => (args.id ? (await ctx.services.deploys?.get(args.id))?.product : undefined) },
  async run(ctx) {
    if (!ctx.args.id) {
      // The bot usually answers a bare /cancel itself (core confirmation flow); this is the fallback.
      const had = (await ctx.services.confirmations?.cancel(ctx.message)) ?? false;
      return cardReply(noticeCard(ctx.t(had ? 'deploy.cancel.confirmation' : 'deploy.cancel.nothing'), had ? 'info' : 'warning'));
    }
    const task = await deploysOf(ctx).cancel(ctx.args.id, requester(ctx).name);
    const key = task.state === 'cancelled' ? 'deploy.cancel.done' : 'deploy.cancel.requested';
    return cardReply(noticeCard(ctx.t(key, { id: task.id }), 'info'));
  },
});
