/**
 * Webhook authentication (gitlab.md §1.2): the plain secret token in `X-Gitlab-Token` (all versions),
 * and the GitLab 19.0+ signing token (Standard Webhooks HMAC-SHA256 over `id.timestamp.rawBody`).
 * Policy: a signed request (webhook-signature present) with a signing token configured must verify
 * — never fall back to the token; otherwise the secret token decides. Fail closed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VerificationError } from '../../core/errors.ts';

export interface VerifyOptions {
  webhookSecret?: string | undefined;
  signingToken?: string | undefined;
  toleranceSeconds?: number;
  /** ms since epoch */
  now: number;
}

/** Constant-time string equality; the length check comes first (timingSafeEqual needs equal lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}

/** `v1,<base64>` for a Standard Webhooks signing token `whsec_<base64 key>` (key = the decoded bytes). */
export function signStandardWebhook(signingToken: string, id: string, timestamp: string, body: Buffer): string {
  const key = Buffer.from(signingToken.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** Throws VerificationError for a bad/missing/stale signature. */
export function verifySignature(
  headers: Record<string, string | undefined>,
  rawBody: Buffer,
  signingToken: string,
  now: number,
  toleranceSeconds = 300,
): void {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (!id || !ts || !sig) throw new VerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d+$/.test(ts)) throw new VerificationError('invalid webhook-timestamp');
  if (Math.abs(Math.floor(now / 1000) - Number(ts)) > toleranceSeconds) {
    throw new VerificationError('stale webhook-timestamp');
  }
  const expected = signStandardWebhook(signingToken, id, ts, rawBody);
  // Space-separated list; several entries during key rotation; any matching v1 entry passes.
  const ok = sig
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .some((s) => safeEqual(s, expected));
  if (!ok) throw new VerificationError('invalid webhook-signature');
}

/** Authenticate one delivery or throw VerificationError (→ 401 `{"error": reason}`). */
export function verifyGitlabRequest(headers: Record<string, string | undefined>, rawBody: Buffer, opts: VerifyOptions): void {
  if (opts.signingToken && headers['webhook-signature'] !== undefined) {
    verifySignature(headers, rawBody, opts.signingToken, opts.now, opts.toleranceSeconds);
    return;
  }
  if (opts.webhookSecret !== undefined) {
    const token = headers['x-gitlab-token'];
    if (token === undefined) throw new VerificationError('missing X-Gitlab-Token');
    if (!safeEqual(token, opts.webhookSecret)) throw new VerificationError('invalid X-Gitlab-Token');
    return;
  }
  if (opts.signingToken) throw new VerificationError('missing webhook-signature');
  // Neither configured: the config schema forbids this; refuse rather than accept anything.
  throw new VerificationError('no webhook secret configured');
}
