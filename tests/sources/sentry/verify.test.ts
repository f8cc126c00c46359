import { describe, expect, it } from 'vitest';
import { VerificationError } from '../../../src/core/errors.ts';
import { checkTimestamp, verifyLegacyToken, verifySentrySignature } from '../../../src/sources/sentry/verify.ts';
import { fixtureText, vectors } from './helpers.ts';

const secret = vectors.client_secret;
const reason = (fn: () => void): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VerificationError);
    return (e as Error).message;
  }
  return 'accepted';
};

describe('Sentry-Hook-Signature', () => {
  it.each(vectors.vectors.map((v) => [v.name, v] as const))('accepts vector %s over the raw bytes', (_n, v) => {
    expect(reason(() => verifySentrySignature(Buffer.from(v.body, 'utf8'), v.signature, secret))).toBe('accepted');
  });

  it('the \\uXXXX trap: a re-serialised body does not verify, the raw one does', () => {
    const v = vectors.vectors.find((x) => x.name === 'non-ascii-title')!;
    expect(v.body).toContain('\\u');
    const roundtrip = JSON.stringify(JSON.parse(v.body));
    expect(roundtrip).toBe(v.js_roundtrip_body);
    expect(reason(() => verifySentrySignature(Buffer.from(roundtrip, 'utf8'), v.signature, secret))).toBe('bad signature');
    expect(reason(() => verifySentrySignature(Buffer.from(v.body, 'utf8'), v.signature, secret))).toBe('accepted');
  });

  it('the 100.0 float trap also needs the raw bytes', () => {
    const v = vectors.vectors.find((x) => x.name === 'float-with-zero-fraction')!;
    expect(reason(() => verifySentrySignature(Buffer.from(JSON.stringify(JSON.parse(v.body))), v.signature, secret))).toBe('bad signature');
  });

  it.each(vectors.fixture_wire_bodies.items.map((i) => [i.file, i] as const))('accepts the wire body of %s', (_f, i) => {
    expect(reason(() => verifySentrySignature(Buffer.from(i.body, 'utf8'), i.signature, secret))).toBe('accepted');
  });

  it.each(vectors.fixture_file_bytes.items.map((i) => [i.file, i] as const))('accepts the file bytes of %s', (f, i) => {
    expect(reason(() => verifySentrySignature(Buffer.from(fixtureText(f)), i.signature_over_file_bytes, secret))).toBe('accepted');
  });

  it('rejects every negative vector with a distinct reason', () => {
    const got = Object.fromEntries(
      vectors.negative.map((n) => {
        // hex-decoded-key: the signature a verifier that hex-decodes the secret would expect must not pass.
        const sig = n.name === 'hex-decoded-key' ? (n as unknown as { signature_if_key_were_hex_decoded: string }).signature_if_key_were_hex_decoded : n.presented_signature;
        return [n.name, reason(() => verifySentrySignature(Buffer.from(n.body), sig ?? undefined, n.name === 'wrong-secret' ? '0'.repeat(64) : secret))];
      }),
    );
    expect(got).toEqual({
      'wrong-secret': 'bad signature',
      'tampered-body': 'bad signature',
      'pretty-printed-body': 'bad signature',
      'uppercase-hex': 'malformed Sentry-Hook-Signature',
      'missing-header': 'missing Sentry-Hook-Signature',
      'hex-decoded-key': 'bad signature',
    });
  });

  it('rejects a truncated signature without throwing a RangeError', () => {
    expect(reason(() => verifySentrySignature(Buffer.from('{}'), 'abcd', secret))).toBe('malformed Sentry-Hook-Signature');
  });
});

describe('timestamp and legacy token', () => {
  it('rejects stale timestamps, accepts fresh and absent ones, 0 disables', () => {
    const now = 1_700_000_000_000;
    expect(reason(() => checkTimestamp('1700000000', now, 300))).toBe('accepted');
    expect(reason(() => checkTimestamp(undefined, now, 300))).toBe('accepted');
    expect(reason(() => checkTimestamp('1699990000', now, 300))).toBe('stale timestamp');
    expect(reason(() => checkTimestamp('nope', now, 300))).toBe('malformed Sentry-Hook-Timestamp');
    expect(reason(() => checkTimestamp('1', now, 0))).toBe('accepted');
  });

  it('compares the legacy token and names each failure', () => {
    expect(reason(() => verifyLegacyToken('secret-token-123456', 'secret-token-123456'))).toBe('accepted');
    expect(reason(() => verifyLegacyToken('secret-token-12345', 'secret-token-123456'))).toBe('bad token');
    expect(reason(() => verifyLegacyToken(undefined, 'secret-token-123456'))).toBe('missing token');
    expect(reason(() => verifyLegacyToken('x', undefined))).toBe('legacy endpoint not configured');
  });
});
