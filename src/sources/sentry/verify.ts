/**
 * Webhook authentication (sentry.md 1.3, 2.3). HMAC over the raw bytes exactly as received: Sentry's
 * encoder escapes non-ASCII as \uXXXX and keeps `100.0`, so re-serialised JSON would not match.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VerificationError } from '../../core/errors.ts';

const HEX64 = /^[0-9a-f]{64}$/;

/** Throws VerificationError with a distinct reason unless `signature` is hex HMAC-SHA256(secret, rawBody). */
export function verifySentrySignature(rawBody: Buffer, signature: string | undefined, clientSecret: string): void {
  if (signature === undefined || signature === '') throw new VerificationError('missing Sentry-Hook-Signature');
  // Sentry always sends lowercase hex (hashlib hexdigest); anything else is not a Sentry signature.
  if (!HEX64.test(signature)) throw new VerificationError('malformed Sentry-Hook-Signature');
  const expected = createHmac('sha256', Buffer.from(clientSecret, 'utf8')).update(rawBody).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw new VerificationError('bad signature');
}

/** Sentry-Hook-Timestamp is unsigned (sentry.md 1.3): only a cheap filter against obviously stale replays. */
export function checkTimestamp(header: string | undefined, now: number, maxSkewSeconds: number): void {
  if (maxSkewSeconds <= 0 || header === undefined) return;
  const ts = Number(header);
  if (!Number.isFinite(ts)) throw new VerificationError('malformed Sentry-Hook-Timestamp');
  if (Math.abs(now / 1000 - ts) > maxSkewSeconds) throw new VerificationError('stale timestamp');
}

/** Legacy plugin: the secret token in the path, compared in constant time (sentry.md 2.3). */
export function verifyLegacyToken(presented: string | undefined, expected: string | undefined): void {
  if (!expected) throw new VerificationError('legacy endpoint not configured');
  if (!presented) throw new VerificationError('missing token');
  // Hash both sides so the comparison is constant-time regardless of length.
  const a = createHmac('sha256', 'opsbot-legacy').update(presented).digest();
  const b = createHmac('sha256', 'opsbot-legacy').update(expected).digest();
  if (!timingSafeEqual(a, b)) throw new VerificationError('bad token');
}
