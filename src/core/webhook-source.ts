/**
 * One contract for every webhook source (octokit's `createMiddleware` over `verify` → `receive`): a
 * source says how a request is authenticated, what identifies the delivery and which domain events a
 * stored delivery becomes; `mountSource` (mount-source.ts) is the HTTP side, written once, with the
 * contract's statuses (contract.md "Webhook answers"): 401 before anything is read, 415 for a declared
 * non-JSON body, 400 with the reason for a malformed one, persist before the 2xx, duplicates answered
 * 2xx and processed once.
 */
import type { StoredDelivery } from './deliveries.ts';
import type { DomainEvent } from './events.ts';
import type { HttpAnswer, RawRequest } from './transport.ts';

/** A verification outcome: the reason becomes the 401's `{"error": reason}`. */
export type Verdict = { ok: true } | { ok: false; reason: string };

/** What a verified request is, for storage. */
export interface Identified {
  /** e.g. `issue.created`, `pipeline`: stored with the delivery, the processor's first switch. */
  kind: string;
  /** Unique per delivery within the source (dedupe); derived from what is authenticated where possible. */
  dedupeKey: string;
  /**
   * Deliveries of the source with the same order key are processed one at a time, in the order they
   * were accepted (the states of one Sentry issue, one Alertmanager group, one GitLab pipeline); the
   * others run concurrently. Absent: no ordering.
   */
  orderKey?: string;
  /**
   * With orderKey: an occurrence rather than a state change (a Sentry issue's events). Shared ones of
   * a key run alongside each other, still after the key's earlier state changes and before its later ones.
   */
  orderShared?: boolean;
}

export interface WebhookSource {
  /** The source name stored with each delivery (`sentry`, `gitlab`). */
  readonly name: string;
  /** The route (`/webhooks/sentry`, `/webhooks/sentry/legacy/:token`). */
  readonly path: string;
  /** Authenticate from the raw request (headers, path, raw bytes) only; fail closed, constant time. */
  verify(req: RawRequest): Verdict;
  /**
   * A verified request that has nothing to store answers here (Sentry's signed empty body): return the
   * answer, else undefined.
   */
  handshake?(req: RawRequest): HttpAnswer | undefined;
  /** Identify the delivery from the verified request and its parsed JSON object; throw BadRequestError if it is the wrong shape. */
  identify(req: RawRequest, body: Record<string, unknown>): Identified;
  /**
   * A stored delivery → domain events. Throwing marks the delivery failed (kept, not retried). `body` is
   * the object the route already parsed when the same process accepted the delivery (no second
   * JSON.parse on the hot path); absent after a restart or on another replica: parse `delivery.body`.
   */
  parse(delivery: StoredDelivery, body?: Record<string, unknown>): DomainEvent[];
}

/** Run a throwing check (VerificationError) as a Verdict. Other errors propagate (they are bugs). */
export function verdict(check: () => void): Verdict {
  try {
    check();
    return { ok: true };
  } catch (err) {
    if (err instanceof Error && err.name === 'VerificationError') return { ok: false, reason: err.message };
    throw err;
  }
}
