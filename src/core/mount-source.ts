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
 * What the metrics see of every source, once for all of them (issue 21 §1): each answer's outcome,
 * and each stored delivery's processing result with its lag since it was received.
 */
export interface WebhookObserver {
  answered(source: string, outcome: 'accepted' | 'duplicate' | 'rejected_unauthorized' | 'rejected_malformed' | 'rejected_media_type' | 'failed'): void;
  processed(source: string, outcome: 'processed' | 'failed', lagMs: number): void;
}

/** The outcome label of a failed accept, by the error that the server maps to the contract's status. */
function rejection(err: unknown): Parameters<WebhookObserver['answered']>[1] {
  if (err instanceof VerificationError) return 'rejected_unauthorized';
  if (err instanceof BadRequestError) return 'rejected_malformed';
  if (err instanceof UnsupportedMediaError) return 'rejected_media_type';
  return 'failed';
}

/**
 * JSON only, declared: Sentry, GitLab and Alertmanager all send `Content-Type: application/json`
 * (sentry.md 1.2, gitlab.md §1.1), so a missing or other type is a misconfigured sender → 415.
 */
function checkContentType(req: RawRequest): void {
  const ct = req.headers['content-type'];
  if (!ct || !/^application\/json\b/i.test(ct)) throw new UnsupportedMediaError(`expected application/json, got ${ct ?? 'no content type'}`);
}

/** The JSON body of a verified webhook: parsed only after verification, and only as an object (else 400). */
export function parseJsonObject(raw: Buffer | string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`malformed JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequestError('body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** The route of one source (accept side). */
export function sourceRoute(source: WebhookSource, deps: { deliveries: Pick<Deliveries, 'accept'>; log: Logger; observer?: WebhookObserver | undefined }): WebhookRoute {
  const accept = acceptSide(source, deps);
  return {
    method: 'POST',
    path: source.path,
    async handle(req: RawRequest): Promise<HttpAnswer> {
      try {
        const answer = await accept(req);
        deps.observer?.answered(source.name, answer.body && (answer.body as { duplicate?: boolean }).duplicate ? 'duplicate' : 'accepted');
        return answer;
      } catch (err) {
        deps.observer?.answered(source.name, rejection(err));
        throw err;
      }
    },
  };
}

function acceptSide(source: WebhookSource, deps: { deliveries: Pick<Deliveries, 'accept'>; log: Logger }): (req: RawRequest) => Promise<HttpAnswer> {
  return async (req: RawRequest): Promise<HttpAnswer> => {
    const verdict = source.verify(req);
    if (!verdict.ok) throw new VerificationError(verdict.reason);
    checkContentType(req);
    const early = source.handshake?.(req);
    if (early) return early;
    // Decoded once: the same text is parsed and stored.
    const text = req.rawBody.toString('utf8');
    const body = parseJsonObject(text);
    const { kind, dedupeKey, orderKey, orderShared } = source.identify(req, body);
    const r = await deps.deliveries.accept(
      { source: source.name, kind, dedupeKey, ...(orderKey ? { orderKey, ...(orderShared ? { orderShared } : {}) } : {}), headers: storableHeaders(req.headers), body: text, receivedAt: req.receivedAt },
      body,
    );
    // The route template is logged, never the path itself (a legacy token sits in it: sentry.md 2.3).
    deps.log.debug({ source: source.name, path: source.path, delivery: r.id, duplicate: r.duplicate, kind }, 'webhook accepted');
    return { status: 200, body: { ok: true, duplicate: r.duplicate } };
  };
}

/** Processing side: stored deliveries of this source → its domain events, in order. */
export function processSource(source: WebhookSource, deps: { deliveries: Pick<Deliveries, 'onProcess'>; events: EventBus; observer?: WebhookObserver | undefined; clock?: () => number }): void {
  // The lag is measured on the same clock as `receivedAt`, which the server stamps with Date.now() (server.ts).
  const clock = deps.clock ?? Date.now;
  deps.deliveries.onProcess(source.name, async (d, body) => {
    try {
      for (const e of source.parse(d, body)) await deps.events.emit(e);
    } catch (err) {
      deps.observer?.processed(source.name, 'failed', clock() - d.receivedAt);
      throw err;
    }
    deps.observer?.processed(source.name, 'processed', clock() - d.receivedAt);
  });
}

/** Both sides; returns the route to mount. */
export function mountSource(source: WebhookSource, deps: { deliveries: Deliveries; events: EventBus; log: Logger; observer?: WebhookObserver; clock?: () => number }): WebhookRoute {
  processSource(source, deps);
  return sourceRoute(source, deps);
}
