/**
 * The `web:` config section (contract.md "Added with the second wave": `web: { enabled: true }`).
 * Owned here; src/config/schema.ts plugs it in. Absent or `enabled: false`: nothing is mounted.
 */
import { z } from 'zod';

export const webConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /**
   * HMAC key of signed links (≥ 32 characters). Absent: one is generated and persisted once in the store
   * (collection `web.secret`), so every replica and every restart signs alike.
   */
  secret: z.string().min(32, { error: 'web.secret must be at least 32 characters (or leave it out: one is generated and stored)' }).optional(),
  /** How long a "查看详情 / Details" link in a card stays valid. Cards are re-sent on updates, with a fresh link. */
  linkTtlHours: z.number().positive().max(24 * 90).default(7 * 24),
  /** How long a /login link can be used (once). */
  loginTtlMinutes: z.number().positive().max(60).default(10),
  /** How long a signed-in session lasts. */
  sessionHours: z.number().positive().max(24 * 30).default(12),
});

export type WebConfig = z.infer<typeof webConfigSchema>;
export const defaultWebConfig: WebConfig = webConfigSchema.parse({});
