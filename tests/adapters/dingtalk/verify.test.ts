import { describe, expect, it } from 'vitest';
import { VerificationError } from '../../../src/core/errors.ts';
import { dingtalkSign, MAX_SKEW_MS, verifyDingtalkRequest } from '../../../src/adapters/dingtalk/verify.ts';
import { dingtalkConfigSchema } from '../../../src/adapters/dingtalk/config.ts';
import { fixture } from './helpers.ts';

const v = fixture<{ http_mode_incoming_request: { headers: { timestamp: string; sign: string }; appSecret: string; now_ms_for_test: number } }>(
  'dingtalk-signatures.json',
).http_mode_incoming_request;

function reason(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VerificationError);
    return (e as Error).message;
  }
  return 'passed';
}

describe('dingtalk HTTP-mode verification (chat-platforms.md §3)', () => {
  it('computes the fixture vector', () => {
    expect(dingtalkSign(v.headers.timestamp, v.appSecret)).toBe(v.headers.sign);
  });

  it('accepts the vector', () => {
    expect(reason(() => verifyDingtalkRequest(v.headers, v.appSecret, v.now_ms_for_test))).toBe('passed');
  });

  it('rejects a tampered sign, a wrong secret and a changed timestamp', () => {
    const bad = v.headers.sign.replace(/^h/, 'H');
    expect(reason(() => verifyDingtalkRequest({ ...v.headers, sign: bad }, v.appSecret, v.now_ms_for_test))).toBe('bad signature');
    expect(reason(() => verifyDingtalkRequest(v.headers, 'other secret', v.now_ms_for_test))).toBe('bad signature');
    const ts = String(Number(v.headers.timestamp) + 1);
    expect(reason(() => verifyDingtalkRequest({ ...v.headers, timestamp: ts }, v.appSecret, v.now_ms_for_test))).toBe('bad signature');
    expect(reason(() => verifyDingtalkRequest({ ...v.headers, sign: 'short' }, v.appSecret, v.now_ms_for_test))).toBe('bad signature');
  });

  it('enforces the 1-hour window at the boundary, both directions', () => {
    const ts = Number(v.headers.timestamp);
    expect(reason(() => verifyDingtalkRequest(v.headers, v.appSecret, ts + MAX_SKEW_MS))).toBe('passed');
    expect(reason(() => verifyDingtalkRequest(v.headers, v.appSecret, ts - MAX_SKEW_MS))).toBe('passed');
    expect(reason(() => verifyDingtalkRequest(v.headers, v.appSecret, ts + MAX_SKEW_MS + 1))).toBe('stale timestamp');
    expect(reason(() => verifyDingtalkRequest(v.headers, v.appSecret, ts - MAX_SKEW_MS - 1))).toBe('stale timestamp');
  });

  it('rejects missing and malformed headers with distinct reasons', () => {
    expect(reason(() => verifyDingtalkRequest({ sign: v.headers.sign }, v.appSecret, v.now_ms_for_test))).toBe('missing timestamp or sign header');
    expect(reason(() => verifyDingtalkRequest({ timestamp: v.headers.timestamp }, v.appSecret, v.now_ms_for_test))).toBe('missing timestamp or sign header');
    expect(reason(() => verifyDingtalkRequest({ timestamp: 'abc', sign: 'x' }, v.appSecret, v.now_ms_for_test))).toBe('bad timestamp');
  });
});

describe('dingtalk config section', () => {
  it('applies the contract defaults and rejects unknown keys', () => {
    const c = dingtalkConfigSchema.parse({ clientId: 'a', clientSecret: 'b', robotCode: 'c' });
    expect(c).toEqual({
      mode: 'stream',
      clientId: 'a',
      clientSecret: 'b',
      robotCode: 'c',
      apiBase: 'https://api.dingtalk.com',
      oapiBase: 'https://oapi.dingtalk.com',
      gatewayUrl: 'https://api.dingtalk.com/v1.0/gateway/connections/open',
      cardTemplateId: '',
      cardCallbackRouteKey: 'opsbot',
      monthlyQuota: 10_000,
      robots: {},
    });
    expect(dingtalkConfigSchema.safeParse({ clientId: 'a', clientSecret: 'b', robotCode: 'c', robotcode: 'x' }).success).toBe(false);
    expect(dingtalkConfigSchema.safeParse({ clientId: 'a', clientSecret: 'b', robotCode: 'c', mode: 'ws' }).success).toBe(false);
  });
});
