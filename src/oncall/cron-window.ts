/**
 * Recurring windows: a cron pattern in a zone marks each window's start, `durationMs` its length
 * (freezes: "prod frozen Friday 18:00 for 63 h"; quiet windows: "nightly batch 02:00 for 2 h").
 * croner does the pattern and zone arithmetic, daylight saving included (issue 18).
 */
import { Cron } from 'croner';

export interface CronWindowSpec {
  cron: string;
  timezone: string;
  durationMs: number;
}

export interface Window {
  start: number;
  end: number;
}

const cache = new Map<string, Cron>();
function cronOf(pattern: string, zone: string): Cron {
  const k = `${zone}|${pattern}`;
  let c = cache.get(k);
  if (!c) {
    c = new Cron(pattern, { timezone: zone, paused: true });
    cache.set(k, c);
  }
  return c;
}

/** Whether croner accepts the pattern (config validation). */
export function isValidCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The window covering `at`, or undefined. A window longer than the pattern's period overlaps the
 * next one, so the few latest starts are looked at and the one ending last wins.
 */
export function activeWindow(spec: CronWindowSpec, at: number): Window | undefined {
  // previousRuns is exclusive of its reference; +1 ms makes a window that starts exactly now count.
  const starts = cronOf(spec.cron, spec.timezone).previousRuns(4, new Date(at + 1));
  let best: Window | undefined;
  for (const s of starts) {
    const w = { start: s.getTime(), end: s.getTime() + spec.durationMs };
    if (w.start <= at && at < w.end && (!best || w.end > best.end)) best = w;
  }
  return best;
}

/** The first start strictly after `at` (undefined: the pattern never fires again). */
export function nextStart(pattern: string, zone: string, at: number): number | undefined {
  return cronOf(pattern, zone).nextRun(new Date(at))?.getTime();
}

/** The latest start at or before `at`. */
export function previousStart(pattern: string, zone: string, at: number): number | undefined {
  return cronOf(pattern, zone).previousRuns(1, new Date(at + 1))[0]?.getTime();
}
