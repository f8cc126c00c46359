/**
 * Who the rotation puts on duty at an instant (pure): handoffs are a cron pattern in the schedule's zone
 * (croner, so a Berlin handoff stays at 10:00 local across daylight saving), and the shift number is
 * the count of whole calendar days (or weeks) between the first handoff and the latest one, read in
 * that zone (zoned-time.ts), so no shift is ever an hour short or long in the arithmetic.
 */
import { nextStart, previousStart } from './cron-window.ts';
import { WEEKDAYS, type RotationConfig, type ScheduleConfig } from './config.ts';
import { calendarDaysBetween, localDate, zonedInstant } from './zoned-time.ts';

/** `{every: week, handoff: "mon 10:00"}` → `"0 10 * * 1"`; `{every: day, handoff: "09:30"}` → `"30 9 * * *"`. */
export function handoffCron(r: RotationConfig): string {
  const [day, time] = r.every === 'week' ? r.handoff.toLowerCase().split(' ') : [undefined, r.handoff];
  const [h, m] = (time ?? '00:00').split(':').map(Number);
  const dow = day === undefined ? '*' : String(WEEKDAYS.indexOf(day as (typeof WEEKDAYS)[number]));
  return `${m} ${h} * * ${dow}`;
}

/** One shift: its number from the first (0), and when it starts and ends. */
export interface Shift {
  index: number;
  start: number;
  end: number;
}

/** The first shift's start: the first handoff at or after local midnight of `rotation.start`. */
export function firstHandoff(s: ScheduleConfig): number {
  const midnight = zonedInstant(s.timezone, s.rotation.start);
  const first = nextStart(handoffCron(s.rotation), s.timezone, midnight - 1);
  if (first === undefined) throw new Error('the handoff pattern never fires');
  return first;
}

/** The shift covering `at`; before the first one: index -1, ending at the first handoff. */
export function shiftAt(s: ScheduleConfig, at: number): Shift {
  const cron = handoffCron(s.rotation);
  const first = firstHandoff(s);
  const end = nextStart(cron, s.timezone, at) ?? Number.POSITIVE_INFINITY;
  if (at < first) return { index: -1, start: Number.NEGATIVE_INFINITY, end: first };
  const start = previousStart(cron, s.timezone, at) ?? first;
  const days = calendarDaysBetween(localDate(s.timezone, first), localDate(s.timezone, start));
  return { index: s.rotation.every === 'week' ? Math.round(days / 7) : days, start, end };
}

/** The member of `list` for shift `index` (none before the first shift). */
export function memberFor(list: readonly string[] | undefined, index: number): string | undefined {
  if (!list?.length || index < 0) return undefined;
  return list[index % list.length];
}
