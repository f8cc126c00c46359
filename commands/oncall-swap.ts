import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { cardReply } from '../src/core/message.ts';
import { isOncallAdmin, nameOf, parseWhen, requirePerson, requireSchedule } from '../src/oncall/command-helpers.ts';
import { ONCALL } from '../src/oncall/service.ts';
import { formatLocal } from '../src/oncall/zoned-time.ts';

/**
 * `/oncall swap <person> [until]`: <person> takes the duty from now until `until` (default: the next
 * handoff). The one on duty may hand over their own shift; an `oncall-admin` (or admin) anyone's.
 */
export default defineCommand({
  name: 'oncall',
  when: (parsed) => parsed.positionals[0] === 'swap',
  summary: { 'zh-CN': '换班：某人从现在起接替值班', en: 'Swap: someone takes over the duty from now' },
  params: ['action', 'person', 'until'],
  args: z.object({ action: z.literal('swap'), person: z.string().min(1), until: z.string().min(1).optional(), team: z.string().min(1).optional(), secondary: z.boolean().optional() }),
  examples: ['/oncall swap bob', '/oncall swap bob 8h', '/oncall swap bob 2026-12-03T10:00 --team payments'],
  uses: { oncall: ONCALL },
  permission: 'anyone',
  async run(ctx) {
    const schedule = requireSchedule(ctx, ctx.args.team);
    const person = requirePerson(ctx, ctx.args.person);
    const now = (await ctx.oncall.whoIsOnCall(schedule))!;
    const me = ctx.person?.id;
    const layer = ctx.args.secondary || (me !== undefined && me === now.secondary && me !== now.primary) ? 'secondary' : 'primary';
    const current = now[layer];
    if ((current === undefined || current !== me) && !isOncallAdmin(ctx)) throw new UserFacingError('E_PERMISSION', ctx.t('oncall.error.swapNotYours', { person: nameOf(ctx)(current) }));
    const from = ctx.clock();
    const to = ctx.args.until ? parseWhen(ctx, ctx.args.until, now.timezone) : now.handoffAt;
    if (!(to > from)) throw new UserFacingError('E_USAGE', ctx.t('oncall.error.badRange'));
    // One's own shift only: the one on duty hands over until their shift (or the override they hold) ends,
    // never into other people's shifts; longer handovers are an oncall-admin's `/oncall override`.
    const ownEnd = now.overrides[layer]?.to ?? now.shift.end;
    if (to > ownEnd && !isOncallAdmin(ctx)) throw new UserFacingError('E_PERMISSION', ctx.t('oncall.error.swapBeyondShift', { until: formatLocal(now.timezone, ownEnd) }));
    const by = me ?? `${ctx.message.sender.platform}:${ctx.message.sender.id}`;
    await ctx.oncall.addOverride({ schedule, layer, person, replaces: current, from, to, kind: 'swap', by });
    const vars = { person: nameOf(ctx)(person), previous: nameOf(ctx)(current), schedule, layer: ctx.t(`oncall.layer.${layer}`), until: formatLocal(now.timezone, to) };
    return cardReply(noticeCard(ctx.t('oncall.swap.done', vars), 'success'));
  },
});
