/**
 * `mute:` quiet windows (issue 18 §3, "cron-like, e.g. nightly batch jobs"): matching alerts are still
 * stored and counted but post no card and page nobody. Each window names a product, a Sentry project,
 * or both (then both must match), a cron start and a length, like the freeze windows.
 */
import { z } from 'zod';
import { cronSchema, zoneSchema } from '../freeze/config.ts';
import { DEFAULT_ZONE } from '../oncall/zoned-time.ts';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

export const muteWindowSchema = z
  .strictObject({
    product: nonEmpty.optional(),
    project: nonEmpty.optional(),
    cron: cronSchema,
    durationHours: z.number().positive(),
    timezone: zoneSchema.default(DEFAULT_ZONE),
    reason: nonEmpty,
  })
  .refine((w) => w.product !== undefined || w.project !== undefined, { error: 'name a product or a project' });

export const muteConfigSchema = z.array(muteWindowSchema).default([]);
export type MuteWindowConfig = z.infer<typeof muteWindowSchema>;
