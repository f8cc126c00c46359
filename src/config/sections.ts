/**
 * The per-feature config sections, each owned by its feature (adapters, sources, deploy) and composed
 * here so schema.ts stays the one place that lists the file's shape.
 */
import { z } from 'zod';

const placeholder = z.looseObject({});

export const sectionSchemas = {
  dingtalk: placeholder,
  wecom: placeholder,
  sentry: placeholder,
  gitlab: placeholder,
  deploy: z.looseObject({ concurrency: z.number().int().positive().default(2) }),
  productAlerts: placeholder,
  productExtras: {} as Record<string, z.ZodType>,
};
