import { z } from 'zod';
import { noticeCard } from '../cards/core.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { cardReply } from '../src/core/message.ts';
import { nameOf, parseWhen, requirePerson, requireSchedule } from '../src/oncall/command-helpers.ts';
import { ONCALL } from '../src/oncall/service.ts';
import { formatLocal } from '../src/oncall/zoned-time.ts';

/** `/oncall override <person> <from> <to>`: plans someone onto the duty for a period (`oncall-admin` or admin). */
export default defineCommand({
  name: 'oncall',
  when: (parsed) => parsed.positionals[0] === 'override',
  summary: { 'zh-CN': '代班：指定某人在一段时间内值班', en: 'Override: put someone on call for a period' },
  params: ['action', 'person', 'from', 'to'],
  args: z.object({ action: z.literal('override'), person: z.string().min(1), from: z.string().min(1), to: z.string().min(1), team: z.string().min(1).optional(), secondary: z.boolean().optional() }),
  examples: ['/oncall override carol 2026-12-24T18:00 2026-12-26T10:00 --team payments', '/oncall override carol now 4h'],
  uses: { oncall: ONCALL },
  permission: { roles: ['oncall-admin'] },
  async run(ctx) {
    const schedule = requireSchedule(ctx, ctx.args.team);
    const person = requirePerson(ctx, ctx.args.person);
    const zone = ctx.oncall.schedule(schedule)!.timezone;
    const from = parseWhen(ctx, ctx.args.from, zone);
    const to = parseWhen(ctx, ctx.args.to, zone);
    if (!(to > from)) throw new UserFacingError('E_USAGE', ctx.t('oncall.error.badRange'));
    const layer = ctx.args.secondary ? 'secondary' : 'primary';
    const at = await ctx.oncall.whoIsOnCall(schedule, from);
    const by = ctx.person?.id ?? `${ctx.message.sender.platform}:${ctx.message.sender.id}`;
    await ctx.oncall.addOverride({ schedule, layer, person, replaces: at?.[layer], from, to, kind: 'override', by });
    const vars = { person: nameOf(ctx)(person), schedule, layer: ctx.t(`oncall.layer.${layer}`), from: formatLocal(zone, from), to: formatLocal(zone, to) };
    return cardReply(noticeCard(ctx.t('oncall.override.done', vars), 'success'));
  },
});
