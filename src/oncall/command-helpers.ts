/** What the /oncall commands share: which schedule a message means, times typed in a schedule's zone, names. */
import type { CommandContext } from '../core/define-command.ts';
import { UserFacingError } from '../core/errors.ts';
import type { OncallService } from './service.ts';
import { parseDuration, parseLocalDateTime, zonedInstant } from './zoned-time.ts';

type Ctx = CommandContext<unknown> & { oncall: OncallService };

const valid = (ctx: Ctx) => ctx.oncall.schedules().join(', ') || '-';

/**
 * The schedule a command means: the named team, schedule or product; else the team whose chat this is;
 * else the one schedule the sender is on; else the only schedule. Undefined when still ambiguous.
 */
export function scheduleOfMessage(ctx: Ctx, name: string | undefined): string | undefined {
  if (name !== undefined) {
    const s = ctx.oncall.scheduleFor(name);
    if (!s) throw new UserFacingError('E_NOT_FOUND', ctx.t('oncall.error.unknown', { name, valid: valid(ctx) }));
    return s;
  }
  const byChat = Object.values(ctx.config.teams).find((t) => t.oncall && t.chats.includes(ctx.message.chat))?.oncall;
  if (byChat) return byChat;
  const all = ctx.oncall.schedules();
  const me = ctx.person?.id;
  const mine = me ? all.filter((s) => { const c = ctx.oncall.schedule(s); return c?.members.includes(me) || c?.secondary?.includes(me); }) : [];
  if (mine.length === 1) return mine[0];
  return all.length === 1 ? all[0] : undefined;
}

/** Like scheduleOfMessage, but a command that changes a schedule must know which one. */
export function requireSchedule(ctx: Ctx, name: string | undefined): string {
  const s = scheduleOfMessage(ctx, name);
  if (!s) throw new UserFacingError('E_USAGE', ctx.t('oncall.error.whichSchedule', { valid: valid(ctx) }));
  return s;
}

export function requirePerson(ctx: Ctx, person: string): string {
  if (!ctx.config.people[person]) throw new UserFacingError('E_NOT_FOUND', ctx.t('oncall.error.unknownPerson', { person }));
  return person;
}

/** `now`, a duration from now (`8h`), or a local date-time in the schedule's zone (`2026-12-03T10:00`). */
export function parseWhen(ctx: Ctx, value: string, zone: string): number {
  const now = ctx.clock();
  if (value === 'now') return now;
  const d = parseDuration(value);
  if (d !== undefined) return now + d;
  const local = parseLocalDateTime(value);
  if (local) return zonedInstant(zone, local.date, local.time);
  throw new UserFacingError('E_USAGE', ctx.t('oncall.error.badTime', { value, zone }));
}

export const nameOf = (ctx: Ctx) => (id: string | undefined): string => (id === undefined ? ctx.t('oncall.card.nobody') : (ctx.config.people[id]?.name ?? id));

/** Whether the sender may change any schedule (`oncall-admin`, or `admin`, which passes every check). */
export const isOncallAdmin = (ctx: Ctx): boolean => ctx.person?.roles.some((r) => r === 'admin' || r === 'oncall-admin') === true;
