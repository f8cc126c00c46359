import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { CONFIRMATIONS } from '../src/core/services.ts';

/**
 * A bare `/cancel`: drops the sender's pending confirmation in this chat. Anyone may (it only ever
 * touches their own proposal); `/cancel <id>` is the deploy command (commands/cancel.ts).
 */
export default defineCommand({
  name: 'cancel',
  when: (parsed) => parsed.positionals.length === 0,
  summary: { 'zh-CN': '取消待确认的操作', en: 'Cancel the pending confirmation' },
  params: [],
  args: z.object({}),
  examples: ['/cancel'],
  uses: { confirmations: CONFIRMATIONS },
  permission: 'anyone',
  async run(ctx) {
    const had = await ctx.confirmations.cancel(ctx.message);
    return cardReply(noticeCard(ctx.t(had ? 'core.confirm.cancelled' : 'core.confirm.none'), had ? 'info' : 'warning'));
  },
});
