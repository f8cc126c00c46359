import { describe, expect, it } from 'vitest';
import { VerificationError } from '../../../src/core/errors.ts';
import { signStandardWebhook, verifyGitlabRequest, verifySignature } from '../../../src/sources/gitlab/verify.ts';
import { fixtureJson } from './fake-gitlab.ts';
import { fixtureBytes, fixtureHeaders } from './helpers.ts';

const vectors = fixtureJson('signing-vectors.json');
const body = fixtureBytes('pipeline-success.json');
const signed = fixtureHeaders('pipeline-success.signed.headers.json');
const sv = vectors.signing_token_self_computed;
const at = (s: string) => Number(s) * 1000;

function reason(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VerificationError);
    return (e as Error).message;
  }
  throw new Error('expected a VerificationError');
}

describe('X-Gitlab-Token', () => {
  const st = vectors.secret_token;
  const opts = { webhookSecret: st.configured_secret, now: Date.now() };
  it('accepts the right token', () => {
    expect(() => verifyGitlabRequest({ 'x-gitlab-token': st.valid_value }, body, opts)).not.toThrow();
  });
  it.each(st.invalid_values as string[])('rejects %j', (v) => {
    expect(reason(() => verifyGitlabRequest({ 'x-gitlab-token': v }, body, opts))).toBe('invalid X-Gitlab-Token');
  });
  it('rejects a missing token with its own reason', () => {
    expect(reason(() => verifyGitlabRequest({}, body, opts))).toBe('missing X-Gitlab-Token');
  });
  it('refuses everything when nothing is configured', () => {
    expect(reason(() => verifyGitlabRequest({ 'x-gitlab-token': 'x' }, body, { now: 0 }))).toBe('no webhook secret configured');
  });
});

describe('signing token (Standard Webhooks)', () => {
  it('reproduces the Standard Webhooks reference vector', () => {
    const r = vectors.standard_webhooks_reference_vector;
    expect(signStandardWebhook(r.secret, r.webhook_id, r.webhook_timestamp, Buffer.from(r.payload))).toBe(r.expected_signature);
  });
  it('accepts the self-computed GitLab vector over the fixture bytes', () => {
    expect(signed['webhook-signature']).toBe(sv.expected_signature);
    expect(() => verifySignature(signed, body, sv.signing_token, at(sv.webhook_timestamp))).not.toThrow();
    expect(() => verifyGitlabRequest(signed, body, { signingToken: sv.signing_token, now: at(sv.webhook_timestamp) })).not.toThrow();
  });
  it('rejects a tampered body, a re-serialized body and a wrong key', () => {
    const now = at(sv.webhook_timestamp);
    expect(reason(() => verifySignature(signed, Buffer.concat([body, Buffer.from(' ')]), sv.signing_token, now))).toBe('invalid webhook-signature');
    const compact = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    expect(signStandardWebhook(sv.signing_token, sv.webhook_id, sv.webhook_timestamp, compact)).toBe(
      sv.negative_cases.body_reserialized_compact.signature_over_compact_body,
    );
    expect(reason(() => verifySignature(signed, compact, sv.signing_token, now))).toBe('invalid webhook-signature');
    expect(reason(() => verifySignature(signed, body, sv.negative_cases.wrong_key.signing_token, now))).toBe('invalid webhook-signature');
  });
  it('rejects a stale timestamp', () => {
    const c = sv.negative_cases.stale_timestamp;
    expect(reason(() => verifySignature(signed, body, sv.signing_token, at(c.now), c.tolerance_seconds))).toBe('stale webhook-timestamp');
  });
  it('accepts any matching entry of several (key rotation)', () => {
    const h = { ...signed, 'webhook-signature': sv.negative_cases.multiple_signatures.header };
    expect(() => verifySignature(h, body, sv.signing_token, at(sv.webhook_timestamp))).not.toThrow();
  });
  it('never falls back to the token for a signed request', () => {
    const h = { ...signed, 'webhook-signature': 'v1,AAAA', 'x-gitlab-token': 'secret' };
    expect(reason(() => verifyGitlabRequest(h, body, { webhookSecret: 'secret', signingToken: sv.signing_token, now: at(sv.webhook_timestamp) }))).toBe(
      'invalid webhook-signature',
    );
  });
  it('uses the token when a signing token is configured but the request is unsigned', () => {
    const opts = { webhookSecret: 'secret', signingToken: sv.signing_token, now: 0 };
    expect(() => verifyGitlabRequest({ 'x-gitlab-token': 'secret' }, body, opts)).not.toThrow();
    expect(reason(() => verifyGitlabRequest({}, body, { signingToken: sv.signing_token, now: 0 }))).toBe('missing webhook-signature');
  });
  it('names missing signature headers', () => {
    const { ['webhook-id']: _drop, ...rest } = signed;
    expect(reason(() => verifySignature(rest, body, sv.signing_token, at(sv.webhook_timestamp)))).toMatch(/missing webhook-id/);
  });
});
