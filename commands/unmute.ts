import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { cardReply } from '../src/core/message.ts';
import { MUTES } from '../src/mute/service.ts';
import { muteTargets, resolveMuteTarget } from '../src/mute/target.ts';

/** `/unmute <product|project>`: ends a /mute before its time (a mute also ends by itself). */
export default defineCommand({
  name: 'unmute',
  aliases: ['取消静默'],
  summary: { 'zh-CN': '提前结束 /mute 设置的静默', en: 'End a mute set with /mute early' },
  params: ['target'],
  args: z.object({ target: z.string().min(1) }),
  examples: ['/unmute demo'],
  uses: { mutes: MUTES },
  permission: { roles: ['deployer', 'oncall-admin'], scope: (args, ctx) => resolveMuteTarget(ctx.config, args.target)?.product },
  async run(ctx) {
    const resolved = resolveMuteTarget(ctx.config, ctx.args.target);
    if (!resolved) throw new UserFacingError('E_NOT_FOUND', ctx.t('mute.error.unknown', { name: ctx.args.target, valid: muteTargets(ctx.config).join(', ') || '-' }));
    const ended = await ctx.mutes.unmute(resolved);
    return cardReply(noticeCard(ctx.t(ended ? 'mute.unmute.done' : 'mute.unmute.none', { target: ctx.args.target }), ended ? 'success' : 'info'));
  },
});
