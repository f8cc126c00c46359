import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { outboxCard } from '../cards/outbox.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { OUTBOX } from '../src/core/services.ts';

/** `/outbox` lists queued and dead sends per chat; `/outbox retry <chat|all>` queues the dead ones again. */
export default defineCommand({
  name: 'outbox',
  aliases: ['发件箱'],
  summary: { 'zh-CN': '查看排队和发送失败的消息，重试失败的', en: 'Show queued and dead sends; retry the dead ones' },
  params: ['action', 'chat'],
  args: z.object({ action: z.enum(['retry']).optional(), chat: z.string().min(1).optional() }),
  examples: ['/outbox', '/outbox retry dingtalk:cidXXXX', '/outbox retry all'],
  uses: { outbox: OUTBOX },
  permission: { roles: ['admin'] },
  async run({ args, outbox, t }) {
    if (args.action === 'retry') {
      const chat = !args.chat || args.chat === 'all' ? undefined : args.chat;
      const n = await outbox.retryDead(chat);
      return cardReply(noticeCard(t('core.outbox.retried', { n, chat: chat ?? t('core.outbox.allChats') }), n > 0 ? 'success' : 'info'));
    }
    return cardReply(outboxCard(await outbox.list({ limit: 500 }), t));
  },
});
