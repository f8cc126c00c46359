/**
 * `POST /webhooks/sentry` and `POST /webhooks/sentry/legacy/:token` (contract.md): verify → parse →
 * persist with a payload-identity dedupe key → 200. Processing happens later from the delivery queue
 * (Sentry allows about 1 s and never retries internal integrations: sentry.md 1.7).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookRoute } from '../../core/transport.ts';
import type { Deliveries } from '../../core/deliveries.ts';
import { BadRequestError } from '../../core/errors.ts';
import { sourceRoute } from '../../core/mount-source.ts';
import { verdict, type WebhookSource } from '../../core/webhook-source.ts';
import { mapSentryDelivery } from './map.ts';
import type { SentryConfig } from './config.ts';
import { sentryResourceOf, type SentryResource } from './shapes.ts';
import { checkTimestamp, verifyLegacyToken, verifySentrySignature } from './verify.ts';

export const SENTRY_SOURCE = 'sentry';
/** `kind` of a legacy WebHooks-plugin delivery (no resource header). */
export const LEGACY_KIND = 'legacy.triggered';

export interface SentryRouteDeps {
  config: SentryConfig;
  deliveries: Pick<Deliveries, 'accept'>;
  log: Logger;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 32);

/**
 * Dedupe key from the payload's own identity (sentry.md 1.8): Request-ID is new on every attempt, so it
 * cannot be used. resource + action + the object's id + its own timestamp where it has one. Everything
 * in it comes from the signed body: `resource` is the body's shape (shapes.ts), never the unsigned
 * header, so a replay with another `Sentry-Hook-Resource` is still the same delivery.
 */
export function sentryDedupeKey(resource: SentryResource | undefined, body: Json, raw: Buffer): string {
  const action = str(body.action);
  const data = obj(body.data);
  switch (resource) {
    case 'event_alert': {
      const ev = obj(data.event);
      return `event_alert:${action}:${str(ev.issue_id)}:${str(ev.event_id)}:${str(ev.timestamp ?? ev.datetime)}:${str(data.triggered_rule)}`;
    }
    case 'metric_alert': {
      const ma = obj(data.metric_alert);
      const rule = obj(ma.alert_rule);
      return `metric_alert:${action}:${str(rule.id)}:${str(ma.identifier)}:${str(ma.date_started)}:${str(ma.date_closed)}`;
    }
    case 'issue': {
      // Legit repeats exist (resolve → unresolve → resolve), so the whole body is the identity.
      const issue = obj(data.issue);
      return `issue:${action}:${str(issue.id)}:${str(issue.lastSeen)}:${sha(raw)}`;
    }
    case 'comment':
      return `comment:${action}:${str(data.issue_id)}:${str(data.comment_id)}:${str(data.timestamp)}`;
    case 'installation':
      return `installation:${action}:${str(obj(data.installation).uuid)}`;
    case 'error': {
      const ev = obj(data.error);
      return `error:${action}:${str(ev.event_id)}:${str(ev.timestamp ?? ev.datetime)}`;
    }
    default:
      // A resource we do not know (newer Sentry): the signed bytes are its only identity.
      return `unknown:${action}:${sha(raw)}`;
  }
}

const issueOrderKey = (id: unknown): string | undefined => (id === undefined || id === null || id === '' ? undefined : `issue:${str(id)}`);

/** An issue's events (alerts, errors, comments) are occurrences: they run alongside each other; its issue.* webhooks change its state. */
const SHARED_RESOURCES: ReadonlySet<SentryResource | undefined> = new Set<SentryResource | undefined>(['event_alert', 'error', 'comment']);

/** A delivery's place in the processing order (Identified.orderKey / orderShared). */
export function sentryOrder(resource: SentryResource | undefined, body: Json): { orderKey: string; orderShared: boolean } | undefined {
  const orderKey = sentryOrderKey(resource, body);
  return orderKey === undefined ? undefined : { orderKey, orderShared: SHARED_RESOURCES.has(resource) };
}

/**
 * What must be processed in order: the states of one issue (its alerts, resolves, comments) or of one
 * metric alert incident; other resources are not ordered.
 */
export function sentryOrderKey(resource: SentryResource | undefined, body: Json): string | undefined {
  const data = obj(body.data);
  switch (resource) {
    case 'event_alert':
      return issueOrderKey(obj(data.event).issue_id);
    case 'issue':
      return issueOrderKey(obj(data.issue).id);
    case 'comment':
      return issueOrderKey(data.issue_id);
    case 'error':
      return issueOrderKey(obj(data.error).issue_id);
    case 'metric_alert': {
      const ma = obj(data.metric_alert);
      const rule = str(obj(ma.alert_rule).id);
      return rule && str(ma.identifier) ? `metric:${rule}:${str(ma.identifier)}` : undefined;
    }
    default:
      return undefined;
  }
}

/** Legacy plugin identity: `legacy:{issue id}:{event id}:{sorted rules}` (sentry.md 2.3). */
export function legacyDedupeKey(body: Json): string {
  const ev = obj(body.event);
  const rules = Array.isArray(body.triggering_rules) ? body.triggering_rules.map(str).sort().join(',') : '';
  return `legacy:${str(body.id)}:${str(ev.event_id ?? ev.id)}:${str(ev.timestamp ?? ev.datetime)}:${rules}`;
}

/** The integration-platform webhook (HMAC `Sentry-Hook-Signature`, sentry.md 1.2). */
export function sentrySource(config: SentryConfig): WebhookSource {
  return {
    name: SENTRY_SOURCE,
    path: '/webhooks/sentry',
    verify: (req) =>
      verdict(() => {
        // Older senders used Sentry-App-Signature (sentry.md 1.2).
        const signature = req.headers['sentry-hook-signature'] ?? req.headers['sentry-app-signature'];
        verifySentrySignature(req.rawBody, signature, config.clientSecret);
        checkTimestamp(req.headers['sentry-hook-timestamp'], req.receivedAt, config.maxSkewSeconds);
      }),
    // Sentry sends some requests with an empty (signed) body: nothing to store (sentry.md 1.3).
    handshake: (req) => (req.rawBody.length === 0 ? { status: 200, body: { ok: true, empty: true } } : undefined),
    identify(req, body) {
      const header = req.headers['sentry-hook-resource'] || undefined;
      const { resource, action } = sentryResourceOf(body, header);
      // The kind names an unknown resource by its header (stored, mapped to nothing); never the key.
      return { kind: `${resource ?? header ?? 'unknown'}.${action}`, dedupeKey: sentryDedupeKey(resource, body, req.rawBody), ...sentryOrder(resource, body) };
    },
    parse: (d, body) => mapSentryDelivery(d, body),
  };
}

/** The legacy WebHooks plugin (no signature: the secret token in the path, sentry.md 2.3). */
export function sentryLegacySource(config: SentryConfig): WebhookSource {
  return {
    name: SENTRY_SOURCE,
    path: '/webhooks/sentry/legacy/:token',
    verify: (req) => verdict(() => verifyLegacyToken(req.params.token, config.legacyToken)),
    identify(_req, body) {
      if (body.id === undefined) throw new BadRequestError('missing "id" (not a Sentry WebHooks plugin payload)');
      // The plugin posts an issue's events only: occurrences, like event alerts.
      const orderKey = issueOrderKey(body.id);
      return { kind: LEGACY_KIND, dedupeKey: legacyDedupeKey(body), ...(orderKey ? { orderKey, orderShared: true } : {}) };
    },
    parse: (d, body) => mapSentryDelivery(d, body),
  };
}

/** The sources to mount: the legacy one only with `sentry.legacyToken` (else 404, like an absent section). */
export function sentrySources(config: SentryConfig): WebhookSource[] {
  return config.legacyToken ? [sentrySource(config), sentryLegacySource(config)] : [sentrySource(config)];
}

/** The accept side of the Sentry sources as routes (tests drive them without a server). */
export function sentryRoutes(deps: SentryRouteDeps): WebhookRoute[] {
  return sentrySources(deps.config).map((s) => sourceRoute(s, deps));
}
