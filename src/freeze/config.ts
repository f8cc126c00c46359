/**
 * `freezes:` (contract.md "Added with the second wave"): windows when nobody should deploy, as a cron
 * start plus a length (`{ product: demo, env: prod, cron: "0 18 * * 5", durationHours: 63, reason: weekend }`)
 * or holidays listed by date (each the whole local day). Argo CD sync windows have the same shape
 * (schedule + duration).
 */
import { z } from 'zod';
import { isValidCron } from '../oncall/cron-window.ts';
import { DEFAULT_ZONE, isKnownZone } from '../oncall/zoned-time.ts';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

export const zoneSchema = z.string().refine(isKnownZone, { error: 'an IANA time zone such as Asia/Shanghai or Europe/Berlin' });
export const cronSchema = z.string().refine(isValidCron, { error: 'a cron pattern such as "0 18 * * 5" (minute hour day month weekday)' });
export const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'a date as YYYY-MM-DD' });

export const freezeWindowSchema = z
  .strictObject({
    product: nonEmpty,
    /** Absent: every environment of the product. */
    env: nonEmpty.optional(),
    cron: cronSchema.optional(),
    durationHours: z.number().positive().optional(),
    /** Holidays: each date is frozen from local midnight to the next. */
    dates: z.array(dateSchema).optional(),
    timezone: zoneSchema.default(DEFAULT_ZONE),
    reason: nonEmpty,
    /** Rolling back is usually what you want during a freeze (issue 18 §4), so it stays allowed unless set false. */
    allowRollback: z.boolean().default(true),
  })
  .refine((w) => (w.cron === undefined) === (w.durationHours === undefined), { error: 'cron and durationHours go together' })
  .refine((w) => w.cron !== undefined || (w.dates?.length ?? 0) > 0, { error: 'give cron + durationHours, or dates' });

export const freezesConfigSchema = z.array(freezeWindowSchema).default([]);
export type FreezeWindowConfig = z.infer<typeof freezeWindowSchema>;
