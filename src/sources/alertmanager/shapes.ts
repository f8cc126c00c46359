/**
 * The webhook body, checked at the boundary. Alertmanager's `notify/webhook/webhook.go` `Message`
 * (version "4": `*template.Data` + `version`, `groupKey`, `truncatedAlerts`) with `template/template.go`
 * `Data` and `Alert` (prometheus/alertmanager @68fb2d5). Firing alerts carry the zero time
 * `0001-01-01T00:00:00Z` as `endsAt` (dispatch/dispatch.go flush: `a.EndsAt = time.Time{}` unless
 * resolved). Grafana's webhook contact point sends the same body plus `orgId`, `title`, `state`,
 * `message` and per-alert `silenceURL`/`dashboardURL`/`values` (and `version: "1"`): extra keys are
 * allowed (loose objects) so both parse.
 */
import { z } from 'zod';

const kv = z.record(z.string(), z.string()).default({});

export const webhookAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: kv,
  startsAt: z.string().min(1),
  endsAt: z.string().default(''),
  generatorURL: z.string().default(''),
  /** Alertmanager's label-set hash; Grafana sends it too. Missing: derived from the labels (map.ts). */
  fingerprint: z.string().default(''),
  /** Grafana only. */
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
});

export const webhookMessageSchema = z.looseObject({
  version: z.string().default('4'),
  groupKey: z.string().default(''),
  truncatedAlerts: z.number().int().min(0).nullish().transform((v) => v ?? 0),
  receiver: z.string().default(''),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(webhookAlertSchema),
  groupLabels: kv,
  commonLabels: kv,
  commonAnnotations: kv,
  externalURL: z.string().default(''),
  /** Grafana only. */
  orgId: z.number().optional(),
  title: z.string().optional(),
});

export type WebhookAlert = z.infer<typeof webhookAlertSchema>;
export type WebhookMessage = z.infer<typeof webhookMessageSchema>;

/** The reason a body is not a webhook message (for the 400), or the parsed message. */
export function parseWebhookMessage(body: unknown): { ok: true; message: WebhookMessage } | { ok: false; reason: string } {
  const r = webhookMessageSchema.safeParse(body);
  if (r.success) return { ok: true, message: r.data };
  const i = r.error.issues[0]!;
  return { ok: false, reason: `not an Alertmanager webhook body: ${i.path.join('.') || '(root)'}: ${i.message}` };
}
