/**
 * `oncall.<schedule>` (contract.md "Added with the second wave"): members in order, a daily or weekly
 * rotation with its handoff time in a zone (default Asia/Shanghai), and an optional secondary layer
 * rotating the same way. A team names its schedule with `teams.<t>.oncall`.
 */
import { z } from 'zod';
import { dateSchema, zoneSchema } from '../freeze/config.ts';
import { DEFAULT_ZONE } from './zoned-time.ts';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });
const TIME = /^([01]?\d|2[0-3]):[0-5]\d$/;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const rotationSchema = z
  .strictObject({
    every: z.enum(['week', 'day']),
    /** week: `"mon 10:00"`; day: `"09:30"` (local time in the schedule's zone). */
    handoff: z.string(),
    /** The first member's first shift begins at this date's handoff (week: the first handoff on or after it). */
    start: dateSchema,
  })
  .refine((r) => (r.every === 'day' ? TIME.test(r.handoff) : new RegExp(`^(${WEEKDAYS.join('|')}) ${TIME.source.slice(1, -1)}$`, 'i').test(r.handoff)), {
    error: 'handoff is "mon 10:00" for every: week, "09:30" for every: day',
    path: ['handoff'],
  });

export const scheduleSchema = z.strictObject({
  timezone: zoneSchema.default(DEFAULT_ZONE),
  rotation: rotationSchema,
  /** People (ids under `people`) in rotation order. */
  members: z.array(nonEmpty).min(1, { error: 'list at least one member' }),
  /** The secondary layer, in its own order, rotating with the same handoffs. */
  secondary: z.array(nonEmpty).min(1).optional(),
  /** Escalation steps also page the person on duty in their direct chat with the bot (issue 18 §2). */
  pageDirect: z.boolean().default(false),
});

export const oncallConfigSchema = z.record(z.string(), scheduleSchema).default({});
/** `teams.<t>.oncall`: the schedule a team pages. */
export const teamOncallSchema = z.string().min(1).optional();

export type ScheduleConfig = z.infer<typeof scheduleSchema>;
export type RotationConfig = z.infer<typeof rotationSchema>;
