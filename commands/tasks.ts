import { z } from 'zod';
import { taskListCard } from '../cards/task-list.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS } from '../src/deploy/command-helpers.ts';

export default defineCommand({
  name: 'tasks',
  aliases: ['任务列表'],
  summary: { 'zh-CN': '列出最近的部署任务', en: 'List recent deploy tasks' },
  params: ['product'],
  args: z.object({ product: z.string().min(1).optional() }),
  examples: ['/tasks', '/tasks demo'],
  uses: { deploys: DEPLOYS },
  permission: 'anyone',
  async run(ctx) {
    return cardReply(taskListCard(await ctx.deploys.list(ctx.args.product, 15), ctx.args.product, ctx.t));
  },
});
