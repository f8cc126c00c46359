/**
 * `POST /webhooks/alertmanager` (contract.md): verify (Bearer or Basic, verify.ts) → parse (shapes.ts)
 * → persist with a content-derived dedupe key → 200; processing later from the delivery queue
 * (mount-source.ts). Alertmanager has no delivery id and re-sends a group every `repeat_interval`
 * unchanged (alerting-and-engines.md §1), so the identity is what the notification says.
 */
import { createHash } from 'node:crypto';
import { BadRequestError } from '../../core/errors.ts';
import type { DomainEvent } from '../../core/events.ts';
import { verdict, type WebhookSource } from '../../core/webhook-source.ts';
import type { AlertmanagerConfig } from './config.ts';
import { parseWebhookMessage, type WebhookAlert, type WebhookMessage } from './shapes.ts';
import { verifyAlertmanagerAuth, webhookAuthConfigured } from './verify.ts';

export const ALERTMANAGER_SOURCE = 'alertmanager';
export const NOTIFICATION_EVENT = 'alertmanager.notification';

declare module '../../core/events.ts' {
  /** One webhook notification (a group's current alerts), as shapes.ts parsed it. */
  interface EventMap {
    'alertmanager.notification': WebhookMessage;
  }
}

/** An alert's identity: Alertmanager's fingerprint, else (Grafana without one) a hash of the sorted labels. */
export function fingerprintOf(a: Pick<WebhookAlert, 'fingerprint' | 'labels'>): string {
  if (/^[0-9a-f]{8,32}$/i.test(a.fingerprint)) return a.fingerprint.toLowerCase();
  const labels = Object.keys(a.labels).sort().map((k) => `${k}=${a.labels[k]}`).join('\u0000');
  return createHash('sha256').update(labels).digest('hex').slice(0, 16);
}

/**
 * groupKey + each alert's fingerprint, status, startsAt and endsAt (sorted, so order does not matter):
 * a repeat of the same state is the same key (a duplicate, answered 2xx and processed once); any change
 * (a new alert, one resolving, a re-fire with a new startsAt) is a new delivery, applied once. Firing
 * alerts carry the zero `endsAt` (shapes.ts), so repeats really are equal.
 */
export function notificationDedupeKey(m: WebhookMessage): string {
  const parts = m.alerts.map((a) => `${fingerprintOf(a)}|${a.status}|${a.startsAt}|${a.endsAt}`).sort();
  const h = createHash('sha256').update(`${m.groupKey}\n${m.receiver}\n${parts.join('\n')}`).digest('hex').slice(0, 40);
  return `notification:${h}`;
}

export function alertmanagerSource(config: AlertmanagerConfig): WebhookSource {
  return {
    name: ALERTMANAGER_SOURCE,
    path: '/webhooks/alertmanager',
    verify: (req) => verdict(() => verifyAlertmanagerAuth(req.headers['authorization'], config)),
    identify(_req, body) {
      const r = parseWebhookMessage(body);
      if (!r.ok) throw new BadRequestError(r.reason);
      // One group's notifications are processed in the order received (a resolve after its firing).
      return { kind: `notification.${r.message.status}`, dedupeKey: notificationDedupeKey(r.message), orderKey: `group:${r.message.receiver}:${r.message.groupKey}` };
    },
    parse(d): DomainEvent[] {
      const r = parseWebhookMessage(JSON.parse(d.body));
      if (!r.ok) throw new Error(r.reason);
      return [{ type: NOTIFICATION_EVENT, payload: r.message, occurredAt: d.receivedAt, deliveryId: d.id }];
    },
  };
}

/** The sources to mount: none without a token or basic auth (404, like an absent section). */
export const alertmanagerSources = (config: AlertmanagerConfig): WebhookSource[] => (webhookAuthConfigured(config) ? [alertmanagerSource(config)] : []);
