/**
 * The `alertmanager:` config section (contract.md "Added with the second wave": `url`, `token`,
 * `defaultChat`, `routes`; the rest is ours). Owned here; src/config/schema.ts plugs it in.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1, { error: 'must not be empty' });
const chatAddress = z.string().regex(/^(dingtalk|dingtalk-robot|wecom|wecom-group|wecom-webhook|console|test):.+$|^console$/, {
  error: 'a chat address is "dingtalk:<openConversationId>", "wecom:<userid>", "wecom-group:<chatid>", "wecom-webhook:<key>" or "console"',
});

/**
 * One label matcher value (routing.ts): `pay-prod` or `=pay-prod` equal, `!=dev` not equal, `=~pay-.*`
 * regex (anchored, as Alertmanager anchors its matchers), `!~…` regex not matching.
 */
const matcherValue = z.string().superRefine((v, ctx) => {
  const m = /^(=~|!~)(.*)$/.exec(v);
  if (!m) return;
  try {
    new RegExp(`^(?:${m[2]})$`);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}` });
  }
});

export const alertmanagerRouteSchema = z.strictObject({
  /** Every label must match (AND). */
  match: z.record(z.string(), matcherValue).refine((m) => Object.keys(m).length > 0, { error: 'list at least one label' }),
  product: nonEmpty.optional(),
  /** The product environment this alert is about (Rollback button). */
  environment: nonEmpty.optional(),
  /** A team (teams.*) whose chats get it, when no product is named. */
  team: nonEmpty.optional(),
});

export const alertmanagerConfigSchema = z.strictObject({
  /** Alertmanager's own API root (silences, alert links), e.g. http://127.0.0.1:9093. */
  url: z.url({ error: 'url is Alertmanager\'s API root, e.g. http://127.0.0.1:9093' }).optional(),
  /** `Authorization: Bearer <token>` on the webhook (http_config.authorization). No token and no basicAuth: route not mounted. */
  token: nonEmpty.optional(),
  /** Or http_config.basic_auth. */
  basicAuth: z.strictObject({ username: nonEmpty, password: nonEmpty }).optional(),
  /** Where alerts that no rule, `product` or `team` label claims go. */
  defaultChat: chatAddress.optional(),
  routes: z.array(alertmanagerRouteSchema).default([]),
  /** Labels shown on the card (when present); alertname/severity are always in the title. */
  showLabels: z.array(nonEmpty).default(['instance', 'job', 'namespace', 'service', 'pod', 'env', 'environment', 'cluster']),
  /** Severities that @mention and escalate (others post quietly). */
  pagingSeverities: z.array(nonEmpty).default(['critical', 'error', 'page', 'high']),
  budgetPerChatPerMinute: z.number().int().positive().default(20),
  refreshSeconds: z.number().int().positive().default(15),
  /** How often a silenced card asks Alertmanager whether its alert still fires (it will not be told). */
  silencedCheckSeconds: z.number().int().positive().default(60),
  escalation: z
    .strictObject({
      afterMinutes: z.number().positive(),
      to: chatAddress.optional(),
      chain: z.array(nonEmpty).default([]),
    })
    .optional(),
});
export type AlertmanagerConfig = z.infer<typeof alertmanagerConfigSchema>;
export type AlertmanagerRoute = z.infer<typeof alertmanagerRouteSchema>;
