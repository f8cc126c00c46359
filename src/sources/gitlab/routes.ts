/**
 * `POST /webhooks/gitlab` (contract.md): verify (401) → JSON content type (415) → parse (400) →
 * persist with the delivery's idempotency key (gitlab.md §1.4) → 200. GitLab waits 10 s at most and
 * auto-disables hooks that keep failing (gitlab.md §1.3), so nothing slow happens before the answer;
 * unknown kinds are stored and acknowledged, never refused.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookRoute } from '../../core/transport.ts';
import type { Deliveries, StoredDelivery } from '../../core/deliveries.ts';
import type { DomainEvent } from '../../core/events.ts';
import { BadRequestError } from '../../core/errors.ts';
import { sourceRoute } from '../../core/mount-source.ts';
import { verdict, type WebhookSource } from '../../core/webhook-source.ts';
import type { GitlabConfig } from './config.ts';
import { deliveryKind, gitlabShapeProblem, mapGitlabDelivery } from './map.ts';
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
 * Transport dedupe key (gitlab.md §1.4). A signed request (GitLab 19.0+ signing token, Standard Webhooks)
 * authenticates `webhook-id` with the body (HMAC over `{webhook-id}.{timestamp}.{body}`, gitlab.md §1.2),
 * and `webhook-id` equals `Idempotency-Key`, so the key is `webhook-id` alone: the unsigned
 * `Idempotency-Key` header must not choose the key of a signed request (else changing it makes a
 * replay new). Unsigned (secret token only: nothing but the token is authenticated) the headers are
 * hints, in GitLab's order: `Idempotency-Key` (17.4+, constant across retries and "Resend"), else
 * `X-Gitlab-Event-UUID` (14.8+; shared by hooks of one originating job, so the body hash is added),
 * else a hash of event header + raw body. Never `X-Gitlab-Webhook-UUID` (new per request).
 */
export function gitlabDedupeKey(headers: Record<string, string | undefined>, raw: Buffer, o: { signed?: boolean } = {}): string {
  if (o.signed) return `idem:${headers['webhook-id']}`;
  const idem = headers['idempotency-key'] ?? headers['webhook-id'];
  if (idem) return `idem:${idem}`;
  const hash = createHash('sha256').update(headers['x-gitlab-event'] ?? '').update('\n').update(raw).digest('hex').slice(0, 32);
  const uuid = headers['x-gitlab-event-uuid'];
  return uuid ? `event-uuid:${uuid}:${hash}` : `body:${hash}`;
}

/**
 * One pipeline's pipeline and job events are processed in the order received (running → success
 * must not end as running). gitlab.md, pipeline and job events: `object_attributes.id` of a pipeline event, `pipeline_id`
 * of a job (`build`) event, both within `project.id` / `project_id`.
 */
export function gitlabOrderKey(kind: string, body: Record<string, unknown>): string | undefined {
  const project = (body.project as { id?: unknown } | undefined)?.id ?? body.project_id;
  const pipeline = kind === 'pipeline' ? (body.object_attributes as { id?: unknown } | undefined)?.id : kind === 'build' ? body.pipeline_id : undefined;
  return pipeline === undefined || pipeline === null || project === undefined || project === null ? undefined : `pipeline:${String(project)}:${String(pipeline)}`;
}

/** A stored delivery → `gitlab.*` events. Malformed known kinds throw: the delivery is marked failed (kept, never retried). */
export function parseGitlabDelivery(d: StoredDelivery, body?: Record<string, unknown>): DomainEvent[] {
  return mapGitlabDelivery(d.kind, body ?? (JSON.parse(d.body) as unknown), d.receivedAt, d.id);
}

/** The GitLab webhook source; mount it only when `gitlab:` is configured. */
export function gitlabSource(deps: { config: GitlabRouteDeps['config']; clock?: () => number }): WebhookSource {
  const clock = deps.clock ?? Date.now;
  return {
    name: GITLAB_SOURCE,
    path: GITLAB_WEBHOOK_PATH,
    // Authenticate before looking at the body (fail closed; 401 stores nothing).
    verify: (req) =>
      verdict(() =>
        verifyGitlabRequest(req.headers, req.rawBody, {
          webhookSecret: deps.config.webhookSecret,
          signingToken: deps.config.signingToken,
          toleranceSeconds: deps.config.signatureToleranceSeconds,
          now: clock(),
        }),
      ),
    identify(req, body) {
      // A custom webhook template replaces the event payload (gitlab.md §1.1): tell the admin.
      if (typeof body.object_kind !== 'string' && typeof body.event_name !== 'string') {
        throw new BadRequestError('no object_kind in the body: use the default payload, not a custom webhook template');
      }
      const kind = deliveryKind(body, req.headers['x-gitlab-event']);
      const problem = gitlabShapeProblem(kind, body);
      if (problem) throw new BadRequestError(`not a GitLab ${kind} payload: ${problem}`);
      // verify() checked the signature whenever a signing token is configured and the header is present.
      const signed = Boolean(deps.config.signingToken) && req.headers['webhook-signature'] !== undefined;
      const orderKey = gitlabOrderKey(kind, body);
      return { kind, dedupeKey: gitlabDedupeKey(req.headers, req.rawBody, { signed }), ...(orderKey ? { orderKey } : {}) };
    },
    parse: parseGitlabDelivery,
  };
}

/** The accept side as a route (tests drive it without a server). */
export function gitlabWebhookRoute(deps: GitlabRouteDeps): WebhookRoute {
  return sourceRoute(gitlabSource(deps), { deliveries: deps.deliveries, log: deps.log });
}
