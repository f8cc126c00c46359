/**
 * The `metrics:` config section (issue 21), owned by the metrics feature: the change-failure window,
 * how long scrape-time DORA figures are cached, and the weekly digest (off by default).
 */
import { z } from 'zod';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof DAYS)[number];
export const WEEKDAYS: readonly Weekday[] = DAYS;

/** A time zone the runtime knows (Intl throws RangeError on an unknown one). */
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'an IANA time zone such as Asia/Shanghai or UTC' },
);

export const digestConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  day: z.enum(DAYS).default('mon'),
  /** Local hour (0–23) in `timezone` at which the digest goes out. */
  hour: z.number().int().min(0).max(23).default(9),
  timezone: timeZone.default('Asia/Shanghai'),
});

export const metricsConfigSchema = z.strictObject({
  /** A successful deploy followed within this many hours by a rollback, a failed deploy of its release or a linked alert counts as a failed change. */
  changeFailureWindowHours: z.number().positive().max(24 * 30).default(24),
  /** DORA gauges are computed at scrape time from the store and reused for this long. */
  doraCacheSeconds: z.number().min(0).max(3600).default(30),
  digest: digestConfigSchema.prefault({}),
});

export type MetricsConfig = z.infer<typeof metricsConfigSchema>;
export type DigestConfig = z.infer<typeof digestConfigSchema>;
