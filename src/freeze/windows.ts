/** Which configured freeze windows cover an instant (config.ts); pure, over croner and Intl. */
import { activeWindow, type Window } from '../oncall/cron-window.ts';
import { localDate, zonedInstant } from '../oncall/zoned-time.ts';
import type { FreezeWindowConfig } from './config.ts';

/** The date after `YYYY-MM-DD` (calendar arithmetic on UTC midnights, exact). */
export function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The part of window `w` that covers `at`, or undefined. */
export function configWindowAt(w: FreezeWindowConfig, at: number): Window | undefined {
  if (w.cron !== undefined && w.durationHours !== undefined) {
    const hit = activeWindow({ cron: w.cron, timezone: w.timezone, durationMs: w.durationHours * 3_600_000 }, at);
    if (hit) return hit;
  }
  const today = localDate(w.timezone, at);
  if (w.dates?.includes(today)) {
    // Consecutive holidays read as one window, ending after the last of them.
    let end = nextDate(today);
    while (w.dates.includes(end)) end = nextDate(end);
    return { start: zonedInstant(w.timezone, today), end: zonedInstant(w.timezone, end) };
  }
  return undefined;
}
