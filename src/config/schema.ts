/**
 * The config file's shape (contract.md "Config keys"). Strict objects everywhere so a typo in a key is
 * an error with a "did you mean" (see load.ts), not a silently ignored setting.
 */
import { z } from 'zod';
import { sectionSchemas } from './sections.ts';
import { PLATFORM_IDENTITIES } from '../platforms.ts';
import { webConfigSchema } from '../web/config.ts';
import { metricsConfigSchema } from '../metrics/config.ts';
import { alertmanagerConfigSchema } from '../sources/alertmanager/config.ts';

/** `<prefix>:<id>` for a prefix some platform declares, or the bare `console`. */
function isChatAddress(a: string): boolean {
  if (a === 'console') return true;
  const i = a.indexOf(':');
  return i > 0 && i < a.length - 1 && PLATFORM_IDENTITIES.some((p) => p.addressPrefixes.includes(a.slice(0, i)));
}

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

export const personSchema = z.strictObject({
  name: nonEmpty,
  dingtalk: z.string().optional(),
  wecom: z.string().optional(),
  /**
   * Phone number, for platforms that @ by mobile (DingTalk `atMobiles`, WeCom `mentioned_mobile_list`)
   * when no platform id is set. Digits, optionally `+<country code>` and `-`/space separators.
   */
  mobile: z
    .string()
    .transform((s) => s.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\+?\d{6,15}$/, { error: 'a phone number: 6–15 digits, optionally starting with + (e.g. "13800000000")' }))
    .optional(),
  roles: z.array(nonEmpty).default([]),
});

export const teamSchema = z.strictObject({
  members: z.array(nonEmpty).default([]),
  chats: z
    .array(
      z.string().refine(isChatAddress, {
        error: `a chat address is ${PLATFORM_IDENTITIES.flatMap((i) => i.addressForms).join(', ')}`,
      }),
    )
    .default([]),
  /** The on-call schedule the team pages (a name under `oncall`, src/oncall/config.ts). */
  oncall: sectionSchemas.teamOncall,
});


export const environmentSchema = z.strictObject({
  protected: z.boolean().default(false),
  timeoutSeconds: z.number().int().positive().default(1800),
  /** People who must approve a deploy here (two-person rule); the requester cannot approve their own. */
  approvers: z.array(nonEmpty).optional(),
  engine: sectionSchemas.engine,
});

export const productSchema = z.strictObject({
  team: z.string().optional(),
  owners: z.array(nonEmpty).default([]),
  sentryProjects: z.array(nonEmpty).default([]),
  gitlabProject: z.string().optional(),
  componentProjects: z.record(z.string(), z.string()).optional(),
  components: z.array(nonEmpty).min(1, { error: 'list at least one component' }),
  releases: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  environments: z.record(z.string(), environmentSchema).default({}),
  alerts: sectionSchemas.productAlerts.optional(),
  ...sectionSchemas.productExtras,
});

export const configSchema = z.strictObject({
  locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(3000),
      host: z.string().default('0.0.0.0'),
      publicUrl: z.string().optional(),
      bodyLimitBytes: z.number().int().positive().default(1024 * 1024),
      /** Open sockets at most (node's server.maxConnections): one is a file descriptor; further ones are closed at once. */
      maxConnections: z.number().int().positive().default(2048),
      /** A webhook body must arrive within this (senders wait 1–10 s: sentry.md 1.7, gitlab.md §1.3); else 408 and closed. */
      bodyTimeoutSeconds: z.number().positive().max(300).default(10),
      /** The request headers must arrive within this (node's server.headersTimeout). */
      headersTimeoutSeconds: z.number().positive().max(300).default(10),
    })
    .prefault({}),
  storage: z
    .strictObject({
      driver: z.enum(['lowdb', 'postgres', 'memory']).default('lowdb'),
      dataDir: z.string().default('data'),
      url: z.string().optional(),
      deliveriesRetention: z.number().int().positive().default(5000),
      /** postgres: task lease; a replica that dies is noticed (its deploy announced interrupted) within about this long. */
      leaseSeconds: z.number().min(1).max(600).default(15),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  chat: z
    .strictObject({
      console: z.union([z.boolean(), z.strictObject({ as: nonEmpty })]).default(false),
      budgetPerMinute: z.number().int().positive().default(20),
      /** How long the outbox retries a transient send failure before the message is dead (core/outbox.ts). */
      retryBudgetHours: z.number().positive().default(24),
      /** First retry delay and the cap of the exponential backoff (jittered). */
      retryBaseMs: z.number().int().positive().default(1000),
      // 1 min, not 5: a chat waiting out a long outage sees the platform back within a minute (core/outbox.ts).
      retryMaxMs: z.number().int().positive().default(60_000),
      /** Where operator warnings go (platform quota, dead sends), e.g. `dingtalk:<openConversationId>` (contract.md). */
      adminChat: z.string().optional(),
      dingtalk: sectionSchemas.dingtalk.optional(),
      wecom: sectionSchemas.wecom.optional(),
    })
    .prefault({}),
  confirm: z.strictObject({ ttlSeconds: z.number().int().positive().default(300) }).prefault({}),
  deploy: sectionSchemas.deploy.prefault({}),
  sentry: sectionSchemas.sentry.optional(),
  gitlab: sectionSchemas.gitlab.optional(),
  alertmanager: alertmanagerConfigSchema.optional(),
  people: z.record(z.string(), personSchema).default({}),
  teams: z.record(z.string(), teamSchema).default({}),
  products: z.record(z.string(), productSchema).default({}),
  /** Deploy freeze windows (src/freeze/config.ts, issue 18 §4). */
  freezes: sectionSchemas.freezes,
  /** On-call schedules (src/oncall/config.ts, issue 18 §1). */
  oncall: sectionSchemas.oncall,
  /** Quiet windows (src/mute/config.ts, issue 18 §3). */
  mute: sectionSchemas.mute,
  web: webConfigSchema.optional(),
  /** Delivery metrics and the weekly digest (src/metrics/config.ts). */
  metrics: metricsConfigSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type Person = z.infer<typeof personSchema>;
export type Product = z.infer<typeof productSchema>;
export type Environment = z.infer<typeof environmentSchema>;
