/**
 * `POST /webhooks/gitlab` (contract.md): verify (401) → JSON content type (415) → parse (400) →
 * persist with the delivery's idempotency key (gitlab.md §1.4) → 200. GitLab waits 10 s at most and
 * auto-disables hooks that keep failing (gitlab.md §1.3), so nothing slow happens before the answer;
 * unknown kinds are stored and acknowledged, never refused.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../../adapters/types.ts';
import { storableHeaders, type Deliveries } from '../../core/deliveries.ts';
import { parseJsonObject } from '../json-body.ts';
import { BadRequestError, UnsupportedMediaError } from '../../core/errors.ts';
import type { GitlabConfig } from './config.ts';
import { deliveryKind } from './map.ts';
import { verifyGitlabRequest } from './verify.ts';

export const GITLAB_SOURCE = 'gitlab';
export const GITLAB_WEBHOOK_PATH = '/webhooks/gitlab';

export interface GitlabRouteDeps {
  config: Pick<GitlabConfig, 'webhookSecret' | 'signingToken' | 'signatureToleranceSeconds'>;
  deliveries: Pick<Deliveries, 'accept'>;
  log: Logger;
  clock?: () => number;
}

/**
 * Transport dedupe key (gitlab.md §1.4): `Idempotency-Key` (17.4+, = `webhook-id`, constant across
 * retries and "Resend"), else `X-Gitlab-Event-UUID` (14.8+; shared by hooks of one originating job, so
 * the body hash is added), else a hash of event header + raw body. Never `X-Gitlab-Webhook-UUID`.
 */
export function gitlabDedupeKey(headers: Record<string, string | undefined>, raw: Buffer): string {
  const idem = headers['idempotency-key'] ?? headers['webhook-id'];
  if (idem) return `idem:${idem}`;
  const hash = createHash('sha256').update(headers['x-gitlab-event'] ?? '').update('\n').update(raw).digest('hex').slice(0, 32);
  const uuid = headers['x-gitlab-event-uuid'];
  return uuid ? `event-uuid:${uuid}:${hash}` : `body:${hash}`;
}

const parseBody = parseJsonObject;

/** The webhook route; mount it only when `gitlab:` is configured. */
export function gitlabWebhookRoute(deps: GitlabRouteDeps): WebhookRoute {
  const clock = deps.clock ?? Date.now;
  return {
    method: 'POST',
    path: GITLAB_WEBHOOK_PATH,
    async handle(req: RawRequest): Promise<HttpAnswer> {
      // Authenticate before looking at the body (fail closed; 401 stores nothing).
      verifyGitlabRequest(req.headers, req.rawBody, {
        webhookSecret: deps.config.webhookSecret,
        signingToken: deps.config.signingToken,
        toleranceSeconds: deps.config.signatureToleranceSeconds,
        now: clock(),
      });
      const ct = req.headers['content-type'];
      if (!ct || !/^application\/json\b/i.test(ct)) throw new UnsupportedMediaError(`expected application/json, got ${ct ?? 'no content type'}`);
      const body = parseBody(req.rawBody);
      // A custom webhook template replaces the event payload (gitlab.md §1.1): tell the admin.
      if (typeof body.object_kind !== 'string' && typeof body.event_name !== 'string') {
        throw new BadRequestError('no object_kind in the body: use the default payload, not a custom webhook template');
      }
      const kind = deliveryKind(body, req.headers['x-gitlab-event']);
      const dedupeKey = gitlabDedupeKey(req.headers, req.rawBody);
      const { id, duplicate } = await deps.deliveries.accept({
        source: GITLAB_SOURCE,
        kind,
        dedupeKey,
        headers: storableHeaders(req.headers),
        body: req.rawBody.toString('utf8'),
        receivedAt: req.receivedAt,
      });
      deps.log.info({ deliveryId: id, kind, duplicate }, 'gitlab delivery accepted');
      return { status: 200, body: { ok: true, duplicate } };
    },
  };
}
