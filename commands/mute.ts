import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { mutesCard } from '../cards/mutes.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { cardReply } from '../src/core/message.ts';
import { requester } from '../src/deploy/command-helpers.ts';
import { MUTES } from '../src/mute/service.ts';
import { muteTargets, resolveMuteTarget } from '../src/mute/target.ts';
import { DEFAULT_ZONE, formatLocal, parseDuration } from '../src/oncall/zoned-time.ts';

/** `/mute <product|project> <duration> [reason]`; a bare `/mute` lists what is muted. */
export default defineCommand({
  name: 'mute',
  aliases: ['静默'],
  summary: { 'zh-CN': '静默产品或项目的告警一段时间（照常记录，不发卡片、不呼叫）', en: 'Mute alerts of a product or project for a while (still stored; no card, no page)' },
  params: ['target', 'duration', 'reason...'],
  args: z.object({ target: z.string().min(1).optional(), duration: z.string().min(1).optional(), reason: z.array(z.string()).default([]) }),
  examples: ['/mute', '/mute demo 2h 夜间批处理', '/mute demo-backend 30m noisy deploy'],
  uses: { mutes: MUTES },
  permission: {
    roles: ['deployer', 'oncall-admin'],
    // A project counts as its product (`deployer:demo` may mute demo's Sentry projects).
    scope: (args, ctx) => (args.target ? resolveMuteTarget(ctx.config, args.target)?.product : undefined),
  },
  async run(ctx) {
    const { target, duration, reason } = ctx.args;
    if (target === undefined) return cardReply(mutesCard(await ctx.mutes.active(), ctx.t));
    const resolved = resolveMuteTarget(ctx.config, target);
    if (!resolved) throw new UserFacingError('E_NOT_FOUND', ctx.t('mute.error.unknown', { name: target, valid: muteTargets(ctx.config).join(', ') || '-' }));
    if (duration === undefined) throw new UserFacingError('E_USAGE', ctx.t('mute.error.missing'));
    const durationMs = parseDuration(duration);
    if (durationMs === undefined) throw new UserFacingError('E_USAGE', ctx.t('mute.error.badDuration', { value: duration }));
    const by = requester(ctx);
    const m = await ctx.mutes.mute({ kind: resolved.kind, target: resolved.target, durationMs, reason: reason.join(' ') || ctx.t('mute.noReason'), by });
    const body = ctx.t('mute.set.body', { until: formatLocal(DEFAULT_ZONE, m.until), by: by.name, reason: m.reason });
    return cardReply(noticeCard(ctx.t('mute.set.title', { target }), 'warning', body));
  },
});
