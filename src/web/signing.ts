/**
 * Signed links (issue 20 §2): `?exp=<unix seconds>&sig=<base64url HMAC-SHA256>` over one exact page
 * path and its expiry, so a link opens that one page, read-only, until it expires. Verification uses
 * `timingSafeEqual` (style.md §1: compare in constant time, fail closed). Pure: no I/O, clock given.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Domain-separated message: a signature for a link can never be replayed as any other token. */
const linkMessage = (path: string, exp: number): string => `opsbot-web-link\n${path}\n${exp}`;

const mac = (secret: string, message: string): string => createHmac('sha256', secret).update(message).digest('base64url');

/** `exp` and `sig` for a path valid until `nowMs + ttlMs`. */
export function signPath(secret: string, path: string, nowMs: number, ttlMs: number): { exp: number; sig: string } {
  const exp = Math.floor((nowMs + ttlMs) / 1000);
  return { exp, sig: mac(secret, linkMessage(path, exp)) };
}

/** `path?exp=…&sig=…` (the path must not carry a query of its own). */
export function signedPath(secret: string, path: string, nowMs: number, ttlMs: number): string {
  const { exp, sig } = signPath(secret, path, nowMs, ttlMs);
  return `${path}?exp=${exp}&sig=${sig}`;
}

export type LinkCheck = 'valid' | 'missing' | 'expired' | 'invalid';

/** Whether `exp`/`sig` sign exactly `path` and have not expired. An altered path, expiry or signature is `invalid`. */
export function checkSignature(secret: string, path: string, exp: string | null, sig: string | null, nowMs: number): LinkCheck {
  if (exp === null && sig === null) return 'missing';
  if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return 'invalid';
  const expected = Buffer.from(mac(secret, linkMessage(path, Number(exp))));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
  // Checked after the signature: an attacker learns nothing from "expired" about a forged link.
  return Number(exp) * 1000 <= nowMs ? 'expired' : 'valid';
}

/** A random opaque token (session ids, login tokens, CSRF tokens, CSP nonces). */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Stored key of a bearer token: the store holds only its hash, so a store dump signs nobody in. */
export const tokenKey = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** Constant-time string equality (CSRF tokens). */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
