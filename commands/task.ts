import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { deployTaskCard } from '../cards/deploy-task.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { cardReply } from '../src/core/message.ts';
import { DEPLOYS, requester, TASK_ID_RE } from '../src/deploy/command-helpers.ts';

export default defineCommand({
  name: 'task',
  aliases: ['任务'],
  summary: {
    'zh-CN': '查看一个部署任务的状态和最新日志；审批人可用 approve 通过',
    en: 'Show a deploy task: state and the last log lines; approvers can approve it',
  },
  params: ['id', 'action'],
  args: z.object({ id: z.string().regex(TASK_ID_RE), action: z.enum(['approve']).optional() }),
  examples: ['/task 12', '/task 12 approve'],
  uses: { deploys: DEPLOYS },
  permission: 'anyone',
  async run(ctx) {
    const { deploys } = ctx;
    if (ctx.args.action === 'approve') {
      // Only configured people can approve: the approver list holds people ids (issue 4 §5).
      if (!ctx.person) throw new UserFacingError('E_PERMISSION', ctx.t('deploy.error.notApprover', { approvers: '-' }));
      const task = await deploys.approve(ctx.args.id, requester(ctx));
      return cardReply(noticeCard(ctx.t('deploy.approve.done', { id: task.id }), 'success'));
    }
    const task = await deploys.get(ctx.args.id);
    if (!task) throw new UserFacingError('E_NOT_FOUND', ctx.t('deploy.error.unknownTask', { id: ctx.args.id }));
    const logTail = await deploys.logTail(task.id, 20);
    return cardReply(deployTaskCard({ task, logTail, now: ctx.clock() }, ctx.t));
  },
});
