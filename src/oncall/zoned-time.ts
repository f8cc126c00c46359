/**
 * Wall-clock time in an IANA zone, for rotations, freezes and quiet windows (issue 18: "use a
 * well-kept library … not hand-written date math"). Offsets come from `Intl.DateTimeFormat`
 * (`timeZoneName: 'longOffset'`, ECMA-402), recurring instants from croner (cron-window.ts); what
 * is left here is reading a zone's calendar date and turning a local date-time into an instant.
 */
import { Cron } from 'croner';

/** The zone every schedule uses unless it names another (issue 18 "default Asia/Shanghai"). */
export const DEFAULT_ZONE = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA zone this runtime knows (config validation). */
export function isKnownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** Offset from UTC in ms at that instant ("GMT+08:00" → 8 h). */
  offsetMs: number;
}

/** The wall-clock reading of instant `at` in `zone`. */
export function localParts(zone: string, at: number): LocalParts {
  const parts = formatter(zone).formatToParts(new Date(at));
  const num = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const tz = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(tz);
  const offsetMs = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
  return { year: num('year'), month: num('month'), day: num('day'), hour: num('hour'), minute: num('minute'), offsetMs };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of instant `at` in `zone`. */
export function localDate(zone: string, at: number): string {
  const p = localParts(zone, at);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** `YYYY-MM-DD HH:mm` in `zone`, plus the zone when it is not the default (cards). */
export function formatLocal(zone: string, at: number): string {
  const p = localParts(zone, at);
  const s = `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
  return zone === DEFAULT_ZONE ? s : `${s} (${zone})`;
}

/**
 * Whole calendar days from date `a` to date `b` (`YYYY-MM-DD`). Calendar dates have no zone, so the
 * difference of their UTC midnights is an exact multiple of a day, daylight saving or not.
 */
export function calendarDaysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/**
 * The first instant at or after local `date` `HH:mm` in `zone` (croner resolves the zone, including
 * a wall time skipped by daylight saving, which moves to the next existing minute).
 */
export function zonedInstant(zone: string, date: string, time = '00:00'): number {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  // A pattern for exactly that minute of that day; searched from a day before its earliest possible UTC instant.
  const cron = new Cron(`${mi} ${h} ${d} ${mo} *`, { timezone: zone, paused: true });
  const from = Date.UTC(y, mo - 1, d) - 2 * 86_400_000;
  const next = cron.nextRun(new Date(from));
  if (!next) throw new Error(`no instant for ${date} ${time} in ${zone}`);
  return next.getTime();
}

/** `2026-12-03` or `2026-12-03T10:00` (also with a space) → `{ date, time }`, or undefined. */
export function parseLocalDateTime(textIn: string): { date: string; time: string } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{1,2}:\d{2}))?$/.exec(textIn.trim());
  if (!m?.[1]) return undefined;
  const time = m[2] ?? '00:00';
  const [h, mi] = time.split(':').map(Number) as [number, number];
  // Date.parse rolls 2026-02-31 over to March: only a date that reads back the same is one.
  const day = Date.parse(`${m[1]}T00:00:00Z`);
  if (h > 23 || mi > 59 || Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== m[1]) return undefined;
  return { date: m[1], time: time.padStart(5, '0') };
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * The longest duration any command takes (a freeze, a mute, a swap): a year. Beyond it a date would not
 * even print (`99999999d` is past what a Date can hold), and nobody means it.
 */
export const MAX_DURATION_MS = 366 * 86_400_000;

/** `30m`, `2h`, `1h30m`, `3d`, `1w` → ms; undefined when it is not a duration, is zero, or exceeds MAX_DURATION_MS. */
export function parseDuration(textIn: string): number | undefined {
  const s = textIn.trim().toLowerCase();
  if (!/^(\d+[mhdw])+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+)([mhdw])/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total > 0 && total <= MAX_DURATION_MS ? total : undefined;
}
