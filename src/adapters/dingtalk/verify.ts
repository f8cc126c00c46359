/**
 * HTTP-mode robot request verification (chat-platforms.md §3):
 * `timestamp` (ms) within 1 hour of now, and `sign` = base64(HMAC-SHA256(key = appSecret,
 * msg = `${timestamp}\n${appSecret}`)), compared in constant time. Vector: dingtalk-signatures.json.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VerificationError } from '../../core/errors.ts';

/** DingTalk rejects requests more than one hour off ("相差1小时以上"). */
export const MAX_SKEW_MS = 60 * 60 * 1000;

/** The `sign` header value for a timestamp (also used by tests and fakes). */
export function dingtalkSign(timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

/** Throws VerificationError (→ 401) unless both headers are present, fresh and correctly signed. */
export function verifyDingtalkRequest(
  headers: Record<string, string | undefined>,
  secret: string,
  nowMs: number = Date.now(),
): void {
  const timestamp = headers['timestamp'];
  const sign = headers['sign'];
  if (!timestamp || !sign) throw new VerificationError('missing timestamp or sign header');
  if (!/^\d{1,16}$/.test(timestamp)) throw new VerificationError('bad timestamp');
  if (Math.abs(nowMs - Number(timestamp)) > MAX_SKEW_MS) throw new VerificationError('stale timestamp');
  const expected = Buffer.from(dingtalkSign(timestamp, secret), 'utf8');
  const given = Buffer.from(sign, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new VerificationError('bad signature');
  }
}
