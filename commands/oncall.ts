import { z } from 'zod';
import { oncallNowCard } from '../cards/oncall.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { cardReply } from '../src/core/message.ts';
import { nameOf, scheduleOfMessage } from '../src/oncall/command-helpers.ts';
import { ONCALL } from '../src/oncall/service.ts';

/** `/oncall [team]`: who is on call now, who is next and when the handoff is. Swap and override are variants. */
export default defineCommand({
  name: 'oncall',
  aliases: ['值班'],
  summary: { 'zh-CN': '谁在值班、下一位是谁、何时交接（swap / override 换班、代班）', en: 'Who is on call now, who is next and when the handoff is (swap / override)' },
  params: ['team'],
  args: z.object({ team: z.string().min(1).optional() }),
  // For the swap/override variants too: flag values are read by the base command's declaration.
  valueFlags: ['team'],
  examples: ['/oncall', '/oncall payments', '/oncall swap bob 8h', '/oncall override carol 2026-12-24T18:00 2026-12-26T10:00 --team payments'],
  uses: { oncall: ONCALL },
  permission: 'anyone',
  async run(ctx) {
    const one = scheduleOfMessage(ctx, ctx.args.team);
    const names = one ? [one] : ctx.oncall.schedules();
    const cards = [];
    for (const s of names) {
      const now = await ctx.oncall.whoIsOnCall(s);
      if (now) cards.push(oncallNowCard(now, { team: ctx.args.team, name: nameOf(ctx) }, ctx.t));
    }
    for (const c of cards.slice(0, -1)) await ctx.reply(cardReply(c));
    const last = cards.at(-1);
    return last ? cardReply(last) : undefined;
  },
});
