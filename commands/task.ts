import { z } from 'zod';
import { deployTaskCard } from '../cards/deploy-task.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { cardReply } from '../src/core/message.ts';
import { deploysOf, TASK_ID_RE } from '../src/deploy/command-helpers.ts';

export default defineCommand({
  name: 'task',
  aliases: ['任务'],
  summary: { 'zh-CN': '查看一个部署任务的状态和最新日志', en: 'Show a deploy task: state and the last log lines' },
  params: ['id'],
  args: z.object({ id: z.string().regex(TASK_ID_RE) }),
  examples: ['/task 12'],
  permission: 'anyone',
  async run(ctx) {
    const deploys = deploysOf(ctx);
    const task = await deploys.get(ctx.args.id);
    if (!task) throw new UserFacingError('E_NOT_FOUND', ctx.t('deploy.error.unknownTask', { id: ctx.args.id }));
    const logTail = await deploys.logTail(task.id, 20);
    return cardReply(deployTaskCard({ task, logTail, now: ctx.services.clock() }, ctx.t));
  },
});
