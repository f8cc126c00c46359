/**
 * Signed Sentry deliveries for benches and fault tests: the event_alert wire body of the shared fixtures
 * (/work/shared/fixtures/sentry/sentry-signatures.json) with a unique event_id per delivery, signed with
 * HMAC-SHA256 over the exact bytes (sentry.md 1.3), so none dedupe.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

interface WireItem { file: string; resource: string; action: string; body: string; signature: string; headers: Record<string, string> }
const vectors = JSON.parse(readFileSync('/work/shared/fixtures/sentry/sentry-signatures.json', 'utf8')) as {
  client_secret: string;
  fixture_wire_bodies: { items: WireItem[] };
};

/** The client secret the fixtures are signed with. */
export const FIXTURE_CLIENT_SECRET = vectors.client_secret;
const item = vectors.fixture_wire_bodies.items.find((i) => i.resource === 'event_alert')!;
const EVENT_ID = 'e4874d664c3540c1a32eab185f12c5ab';
if (!item.body.includes(EVENT_ID)) throw new Error('fixture changed: event_alert body no longer carries the known event_id');
const parts = item.body.split(EVENT_ID);

/** Hex HMAC-SHA256(secret, body): the Sentry-Hook-Signature header. */
export function sentrySign(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** A 32-hex event id unique for (run, n). */
export function eventId(run: string, n: number): string {
  return (run + n.toString(16).padStart(16, '0')).padStart(32, '0').slice(-32);
}

/** The event_alert fixture body split at its event id (the wrk script joins the parts around each id). */
export function eventAlertParts(): string[] {
  return [...parts];
}

/** The event_alert fixture body with event id `id` (same issue: dedupe key differs only by event id). */
export function eventAlertBody(id: string): string {
  return parts.join(id);
}

/** Headers of a signed event_alert delivery (lower-case names, as sent by Sentry). */
export function sentryHeaders(body: string, secret: string, now = Date.now()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'request-id': Math.random().toString(16).slice(2).padEnd(32, '0'),
    'sentry-hook-resource': 'event_alert',
    'sentry-hook-timestamp': String(Math.floor(now / 1000)),
    'sentry-hook-signature': sentrySign(body, secret),
  };
}

/** The dedupe id the pipeline stores an event_alert delivery of this fixture under (sentry routes). */
export function storedIdFor(body: string): string {
  const b = JSON.parse(body) as { action: string; data: { event: Record<string, unknown>; triggered_rule?: unknown } };
  const ev = b.data.event;
  const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return `sentry:event_alert:${b.action}:${s(ev.issue_id)}:${s(ev.event_id)}:${s(ev.timestamp ?? ev.datetime)}:${s(b.data.triggered_rule)}`;
}
