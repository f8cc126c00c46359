/**
 * `POST /webhooks/sentry` and `POST /webhooks/sentry/legacy/:token` (contract.md): verify → parse →
 * persist with a payload-identity dedupe key → 200. Processing happens later from the delivery queue
 * (Sentry allows about 1 s and never retries internal integrations: sentry.md 1.7).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../../adapters/types.ts';
import { storableHeaders, type Deliveries } from '../../core/deliveries.ts';
import { parseJsonObject } from '../json-body.ts';
import { BadRequestError, UnsupportedMediaError } from '../../core/errors.ts';
import type { SentryConfig } from './config.ts';
import { checkTimestamp, verifyLegacyToken, verifySentrySignature } from './verify.ts';

export const SENTRY_SOURCE = 'sentry';
/** `kind` of a legacy WebHooks-plugin delivery (no resource header). */
export const LEGACY_KIND = 'legacy.triggered';

export interface SentryRouteDeps {
  config: SentryConfig;
  deliveries: Deliveries;
  log: Logger;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 32);

function checkContentType(req: RawRequest): void {
  const ct = req.headers['content-type'];
  if (ct && !/^application\/json\b/i.test(ct)) throw new UnsupportedMediaError(`expected application/json, got ${ct}`);
}

const parseBody = parseJsonObject;

/**
 * Dedupe key from the payload's own identity (sentry.md 1.8): Request-ID is new on every attempt, so it
 * cannot be used. resource + action + the object's id + its own timestamp where it has one.
 */
export function sentryDedupeKey(resource: string, body: Json, raw: Buffer): string {
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
      return `${resource || 'unknown'}:${action}:${sha(raw)}`;
  }
}

/** Legacy plugin identity: `legacy:{issue id}:{event id}:{sorted rules}` (sentry.md 2.3). */
export function legacyDedupeKey(body: Json): string {
  const ev = obj(body.event);
  const rules = Array.isArray(body.triggering_rules) ? body.triggering_rules.map(str).sort().join(',') : '';
  return `legacy:${str(body.id)}:${str(ev.event_id ?? ev.id)}:${str(ev.timestamp ?? ev.datetime)}:${rules}`;
}

function ok(r: { id: string; duplicate: boolean }): HttpAnswer {
  return { status: 200, body: { ok: true, duplicate: r.duplicate } };
}

/** The two Sentry webhook routes. */
export function sentryRoutes(deps: SentryRouteDeps): WebhookRoute[] {
  const { config, deliveries, log } = deps;
  const routes: WebhookRoute[] = [
    {
      method: 'POST',
      path: '/webhooks/sentry',
      async handle(req: RawRequest): Promise<HttpAnswer> {
        // Older senders used Sentry-App-Signature (sentry.md 1.2).
        const signature = req.headers['sentry-hook-signature'] ?? req.headers['sentry-app-signature'];
        verifySentrySignature(req.rawBody, signature, config.clientSecret);
        checkTimestamp(req.headers['sentry-hook-timestamp'], req.receivedAt, config.maxSkewSeconds);
        checkContentType(req);
        // Sentry sends some requests with an empty (signed) body: nothing to store (sentry.md 1.3).
        if (req.rawBody.length === 0) return { status: 200, body: { ok: true, empty: true } };
        const body = parseBody(req.rawBody);
        const resource = req.headers['sentry-hook-resource'] ?? '';
        if (typeof body.action !== 'string') throw new BadRequestError('missing "action"');
        const r = await deliveries.accept({
          source: SENTRY_SOURCE,
          kind: `${resource || 'unknown'}.${body.action}`,
          dedupeKey: sentryDedupeKey(resource, body, req.rawBody),
          headers: storableHeaders(req.headers),
          body: req.rawBody.toString('utf8'),
          receivedAt: req.receivedAt,
        });
        log.debug({ delivery: r.id, duplicate: r.duplicate, resource }, 'sentry webhook accepted');
        return ok(r);
      },
    },
  ];
  // Without sentry.legacyToken the legacy endpoint is not mounted at all (404), like an absent section.
  if (!config.legacyToken) return routes;
  routes.push(
    {
      method: 'POST',
      path: '/webhooks/sentry/legacy/:token',
      async handle(req: RawRequest): Promise<HttpAnswer> {
        verifyLegacyToken(req.params.token, config.legacyToken);
        checkContentType(req);
        const body = parseBody(req.rawBody);
        if (body.id === undefined) throw new BadRequestError('missing "id" (not a Sentry WebHooks plugin payload)');
        const r = await deliveries.accept({
          source: SENTRY_SOURCE,
          kind: LEGACY_KIND,
          dedupeKey: legacyDedupeKey(body),
          headers: storableHeaders(req.headers),
          body: req.rawBody.toString('utf8'),
          receivedAt: req.receivedAt,
        });
        // Log the route template, never the token (sentry.md 2.3).
        log.debug({ delivery: r.id, duplicate: r.duplicate }, 'sentry legacy webhook accepted');
        return ok(r);
      },
    },
  );
  return routes;
}
