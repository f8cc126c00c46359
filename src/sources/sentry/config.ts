/**
 * The `sentry:` config section (contract.md "Config keys") and the per-product `alerts:` block.
 * Owned here; src/config/sections.ts plugs them in.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });
/** A chat address as in `teams.*.chats`. */
const chatAddress = z.string().regex(/^(dingtalk|wecom|wecom-group|wecom-webhook|console|test):.+$|^console$/, {
  error: 'a chat address is "dingtalk:<openConversationId>", "wecom:<userid>", "wecom-group:<chatid>", "wecom-webhook:<key>" or "console"',
});

/** Sentry levels, quietest first (sentry.md 1.6 `level`). */
export const SENTRY_LEVELS = ['debug', 'info', 'warning', 'error', 'fatal'] as const;
export type SentryLevel = (typeof SENTRY_LEVELS)[number];

/** `sentry:` section. */
export const sentryConfigSchema = z.strictObject({
  url: z.url({ error: 'url is the Sentry root, e.g. https://sentry.io' }).default('https://sentry.io'),
  org: nonEmpty,
  /** Internal-integration token (Bearer) for the Web API (sentry.md 3.1). */
  authToken: nonEmpty,
  /** The integration's Client Secret: the HMAC key of Sentry-Hook-Signature (sentry.md 1.3). */
  clientSecret: nonEmpty,
  /** Secret path token for `/webhooks/sentry/legacy/:token` (sentry.md 2.3); absent: legacy endpoint refuses. */
  legacyToken: nonEmpty.optional(),
  /** Our own integration's slug (and/or uuid): webhooks whose actor is us are echoes (sentry.md 1.4). */
  appSlug: z.string().optional(),
  appId: z.string().optional(),
  /** Where alerts of projects no product claims go (a warning is logged). */
  defaultChat: chatAddress.optional(),
  /** Messages (new cards + card updates) per chat per minute (DingTalk robots: 20). */
  budgetPerChatPerMinute: z.number().int().positive().default(20),
  /** Card refreshes of one issue in one chat at most this often while a storm goes on. */
  refreshSeconds: z.number().int().positive().default(15),
  /**
   * Reject deliveries whose Sentry-Hook-Timestamp is further off than this; 0 (default) disables. The
   * timestamp is not signed (sentry.md 1.3), so this is only a filter; dedupe is the replay protection.
   */
  maxSkewSeconds: z.number().int().min(0).default(0),
  /** opsbot person id → Sentry assignee (`user:<id>`, `team:<id>`, username or email) for Assign/Ack. */
  users: z.record(z.string(), z.string()).default({}),
  /** Sentry release version for an opsbot release (`{product}`, `{release}`), e.g. "{product}@{release}". */
  releaseFormat: z.string().default('{release}'),
  /** Record opsbot deploys as Sentry releases/deploys (sentry.md 3.4). */
  reportDeploys: z.boolean().default(true),
  escalation: z
    .strictObject({
      afterMinutes: z.number().positive(),
      to: chatAddress,
      /** Extra people @mentioned at escalation n (1-based: chain[0] at the first). */
      chain: z.array(nonEmpty).default([]),
    })
    .optional(),
});
export type SentryConfig = z.infer<typeof sentryConfigSchema>;

/** `products.<id>.alerts`: which alerts page the team, the rest goes to a quieter digest chat. */
export const productAlertsSchema = z.strictObject({
  minLevel: z.enum(SENTRY_LEVELS).optional(),
  environments: z.array(nonEmpty).optional(),
  /** Alerts below the filters go here (no @mentions, no escalation); absent: they are only counted. */
  digestChat: chatAddress.optional(),
  /** Overrides sentry.escalation.afterMinutes for this product; 0 disables escalation. */
  escalateAfterMinutes: z.number().min(0).optional(),
  /** People @mentioned in addition to the owners at escalation n (chain[0] at the first, …). */
  escalationChain: z.array(nonEmpty).optional(),
});
export type ProductAlerts = z.infer<typeof productAlertsSchema>;

export function levelRank(level: string | undefined): number {
  const i = SENTRY_LEVELS.indexOf((level ?? 'error') as SentryLevel);
  return i === -1 ? SENTRY_LEVELS.indexOf('error') : i;
}
