/**
 * The weekly digest (issue 21 §3): one card per team chat at the configured local day and hour. An
 * hourly periodic job (core/periodic.ts: one timer per slot, run on exactly one replica) checks whether
 * its hour is the configured one in the configured time zone, so daylight-saving changes and
 * half-hour zones need no schedule arithmetic here.
 */
import { digestCard } from '../../cards/digest.ts';
import type { Config } from '../config/schema.ts';
import { t as translate, type Locale } from '../core/i18n.ts';
import { cardReply } from '../core/message.ts';
import { every, type PeriodicJob } from '../core/periodic.ts';
import type { Outbox } from '../core/services.ts';
import type { Timers } from '../core/timers.ts';
import type { Logger } from 'pino';
import { WEEKDAYS, type DigestConfig } from './config.ts';
import type { StatsService } from './stats.ts';

const HOUR_MS = 3_600_000;

/** Weekday and hour of `at` in `timezone`. */
export function localDayHour(at: number, timezone: string): { day: string; hour: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(new Date(at));
  const day = (parts.find((p) => p.type === 'weekday')?.value ?? '').slice(0, 3).toLowerCase();
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? NaN);
  return { day, hour };
}

/** Whether the hour starting at `at` is the digest's hour. */
export function isDigestHour(at: number, c: DigestConfig): boolean {
  const { day, hour } = localDayHour(at, c.timezone);
  return WEEKDAYS.includes(day as never) && day === c.day && hour === c.hour;
}

/** Sends the digest of every team that has chats; returns how many cards were queued. */
export async function sendDigests(d: { config: Config; stats: StatsService; outbox: Outbox; locale: Locale; clock: () => number }): Promise<number> {
  const t = (k: string, v?: Record<string, string | number>) => translate(d.locale, k, v);
  let sent = 0;
  const week = Math.floor(d.clock() / (7 * 24 * HOUR_MS));
  for (const [team, cfg] of Object.entries(d.config.teams)) {
    if (!cfg.chats.length) continue;
    const card = digestCard(await d.stats.digest(team), t);
    for (const to of cfg.chats) {
      // One card key per team and week: a retried slot updates the same card instead of posting twice.
      await d.outbox.send({ to, reply: cardReply(card), cardKey: `metrics:digest:${team}:${week}` });
      sent++;
    }
  }
  return sent;
}

/** Registers the hourly job (call during setup, before timers start); `arm()` at start. */
export function digestJob(d: { config: Config; stats: StatsService; outbox: Outbox; locale: Locale; clock: () => number; timers: Timers; log: Logger }): PeriodicJob {
  return every(
    d.timers,
    'metrics:digest',
    HOUR_MS,
    async () => {
      // The slot's hour, not the exact firing time: a timer that fires a little late still counts for its hour.
      const slotStart = Math.floor(d.clock() / HOUR_MS) * HOUR_MS;
      if (!isDigestHour(slotStart, d.config.metrics.digest)) return;
      const n = await sendDigests(d);
      d.log.info({ cards: n }, 'weekly digest sent');
    },
    d.clock,
  );
}
