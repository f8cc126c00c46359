/**
 * Webhook authentication the way Alertmanager can send it (alerting-and-engines.md §1, verified on
 * 0.25): `Authorization: Bearer <token>` from `http_config.authorization`, or `Basic` from
 * `http_config.basic_auth`. There is no signature. Compared in constant time: both sides are hashed
 * first, so neither the length nor a prefix leaks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VerificationError } from '../../core/errors.ts';
import type { AlertmanagerConfig } from './config.ts';

const digest = (s: string): Buffer => createHmac('sha256', 'opsbot-alertmanager').update(s, 'utf8').digest();
const same = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** Whether the webhook can authenticate at all (else the route is not mounted). */
export const webhookAuthConfigured = (c: AlertmanagerConfig): boolean => !!c.token || !!c.basicAuth;

/** Throws VerificationError unless the Authorization header carries the configured bearer token or basic credentials. */
export function verifyAlertmanagerAuth(header: string | undefined, c: Pick<AlertmanagerConfig, 'token' | 'basicAuth'>): void {
  if (!header) throw new VerificationError('missing Authorization');
  const m = /^(Bearer|Basic)\s+(.+)$/i.exec(header.trim());
  if (!m) throw new VerificationError('unsupported Authorization scheme');
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === 'bearer') {
    if (!c.token) throw new VerificationError('bearer token not configured');
    if (!same(value, c.token)) throw new VerificationError('bad token');
    return;
  }
  if (!c.basicAuth) throw new VerificationError('basic auth not configured');
  const expected = `${c.basicAuth.username}:${c.basicAuth.password}`;
  const presented = Buffer.from(value, 'base64').toString('utf8');
  if (!same(presented, expected)) throw new VerificationError('bad credentials');
}
