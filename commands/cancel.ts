import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS, requester, TASK_ID_RE } from '../src/deploy/command-helpers.ts';

/** `/cancel <id>` cancels a deploy task; a bare `/cancel` is commands/cancel-confirmation.ts. */
export default defineCommand({
  name: 'cancel',
  aliases: ['取消'],
  summary: { 'zh-CN': '取消部署任务；不带任务号时取消待确认的操作', en: 'Cancel a deploy task; without an id, the pending confirmation' },
  params: ['id'],
  args: z.object({ id: z.string().regex(TASK_ID_RE).optional() }),
  examples: ['/cancel 12', '/cancel'],
  uses: { deploys: DEPLOYS },
  // The product comes from the task; an unknown id has none, and run() reports it.
  permission: { roles: ['deployer'], scope: async (args, ctx) => (args.id ? (await ctx.deploys.get(args.id))?.product : undefined) },
  async run(ctx) {
    // A bare /cancel with flags only lands here: there is no task to cancel.
    if (!ctx.args.id) return cardReply(noticeCard(ctx.t('deploy.cancel.nothing'), 'warning'));
    const task = await ctx.deploys.cancel(ctx.args.id, requester(ctx).name);
    const key = task.state === 'cancelled' ? 'deploy.cancel.done' : 'deploy.cancel.requested';
    return cardReply(noticeCard(ctx.t(key, { id: task.id }), 'info'));
  },
});
