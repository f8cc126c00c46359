/**
 * The HTTP side of every webhook source, once (webhook-source.ts): verify → content type → JSON object →
 * identify → persist (dedupe) → 2xx; and the processing side: a stored delivery of this source becomes
 * its domain events on the bus.
 */
import type { Logger } from 'pino';
import { storableHeaders, type Deliveries } from './deliveries.ts';
import { BadRequestError, UnsupportedMediaError, VerificationError } from './errors.ts';
import type { EventBus } from './events.ts';
import type { HttpAnswer, RawRequest, WebhookRoute } from './transport.ts';
import type { WebhookSource } from './webhook-source.ts';

/**
 * JSON only, declared: Sentry, GitLab and Alertmanager all send `Content-Type: application/json`
 * (sentry.md 1.2, gitlab.md §1.1), so a missing or other type is a misconfigured sender → 415.
 */
function checkContentType(req: RawRequest): void {
  const ct = req.headers['content-type'];
  if (!ct || !/^application\/json\b/i.test(ct)) throw new UnsupportedMediaError(`expected application/json, got ${ct ?? 'no content type'}`);
}

/** The JSON body of a verified webhook: parsed only after verification, and only as an object (else 400). */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`malformed JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequestError('body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** The route of one source (accept side). */
export function sourceRoute(source: WebhookSource, deps: { deliveries: Pick<Deliveries, 'accept'>; log: Logger }): WebhookRoute {
  return {
    method: 'POST',
    path: source.path,
    async handle(req: RawRequest): Promise<HttpAnswer> {
      const verdict = source.verify(req);
      if (!verdict.ok) throw new VerificationError(verdict.reason);
      checkContentType(req);
      const early = source.handshake?.(req);
      if (early) return early;
      const body = parseJsonObject(req.rawBody);
      const { kind, dedupeKey } = source.identify(req, body);
      const r = await deps.deliveries.accept(
        { source: source.name, kind, dedupeKey, headers: storableHeaders(req.headers), body: req.rawBody.toString('utf8'), receivedAt: req.receivedAt },
        body,
      );
      // The route template is logged, never the path itself (a legacy token sits in it: sentry.md 2.3).
      deps.log.debug({ source: source.name, path: source.path, delivery: r.id, duplicate: r.duplicate, kind }, 'webhook accepted');
      return { status: 200, body: { ok: true, duplicate: r.duplicate } };
    },
  };
}

/** Processing side: stored deliveries of this source → its domain events, in order. */
export function processSource(source: WebhookSource, deps: { deliveries: Pick<Deliveries, 'onProcess'>; events: EventBus }): void {
  deps.deliveries.onProcess(source.name, async (d, body) => {
    for (const e of source.parse(d, body)) await deps.events.emit(e);
  });
}

/** Both sides; returns the route to mount. */
export function mountSource(source: WebhookSource, deps: { deliveries: Deliveries; events: EventBus; log: Logger }): WebhookRoute {
  processSource(source, deps);
  return sourceRoute(source, deps);
}
