import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { CONFIRMATIONS } from '../src/core/services.ts';

/**
 * `/confirm [id]`: runs the sender's pending proposal in this chat (the confirmation card's button
 * sends it). The proposal runs as if typed now, confirmed: permission and product scope are checked
 * again on the way (dispatch.ts).
 */
export default defineCommand({
  name: 'confirm',
  aliases: ['确认'],
  summary: { 'zh-CN': '确认待确认的操作', en: 'Confirm the pending operation' },
  params: ['id'],
  args: z.object({ id: z.string().optional() }),
  examples: ['/confirm 3fa9c1'],
  uses: { confirmations: CONFIRMATIONS },
  permission: 'anyone',
  async run(ctx) {
    const r = await ctx.confirmations.take(ctx.message, ctx.args.id);
    if (!r.ok) {
      const key = r.reason === 'expired' ? 'core.confirm.expired' : r.reason === 'wrong-user' ? 'core.confirm.wrongUser' : 'core.confirm.none';
      return cardReply(noticeCard(ctx.t(key), 'warning'));
    }
    const [first, ...rest] = await ctx.runConfirmed(r.proposal.text);
    for (const extra of rest) await ctx.reply(extra);
    return first;
  },
});
