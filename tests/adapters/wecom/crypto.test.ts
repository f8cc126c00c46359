import { describe, expect, it } from 'vitest';
import { decrypt, encrypt } from '@wecom/crypto';
import { openCallback, replyXml, sealReply, signatureMatches, VERIFY_REASONS, wecomSignature } from '../../../src/adapters/wecom/crypto.ts';
import { VerificationError } from '../../../src/core/errors.ts';
import { setA, vectors } from './helpers.ts';

const appKeys = { token: setA.token, encodingAESKey: setA.encodingAESKey, receiveId: setA.corpId };
const botKeys = { ...appKeys, receiveId: '' };
const post = setA.post_message;

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VerificationError);
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('wecom crypto: official set A', () => {
  it('GET echostr: signature and plaintext', () => {
    const g = setA.verify_url_get;
    expect(wecomSignature(setA.token, g.timestamp, g.nonce, g.echostr)).toBe(g.msg_signature);
    // URL-decoding the query gives the same value as the raw echostr
    expect(new URLSearchParams(`e=${g.echostr_urlencoded}`).get('e')).toBe(g.echostr);
    expect(openCallback(appKeys, { msgSignature: g.msg_signature, timestamp: g.timestamp, nonce: g.nonce, encrypted: g.echostr })).toBe(g.expected_plaintext_echostr);
  });

  it('POST message decrypts to the expected XML', () => {
    expect(openCallback(appKeys, { msgSignature: post.msg_signature, timestamp: post.timestamp, nonce: post.nonce, encrypted: post.encrypt })).toBe(post.expected_plaintext_xml);
  });

  it('re-encrypts byte for byte with the recovered random', () => {
    const random = Buffer.from(post.recovered_random_hex, 'hex');
    expect(encrypt(setA.encodingAESKey, post.expected_plaintext_xml, setA.corpId, random)).toBe(post.encrypt);
  });
});

describe('wecom crypto: self-generated vectors', () => {
  for (const name of ['self_generated_app_template_card_event', 'self_generated_app_text_command']) {
    it(`${name} opens with receiveid = corpId`, () => {
      const v = vectors[name];
      expect(openCallback(appKeys, { msgSignature: v.msg_signature, timestamp: v.timestamp, nonce: v.nonce, encrypted: v.encrypt })).toBe(v.plaintext);
      expect(encrypt(setA.encodingAESKey, v.plaintext, setA.corpId, Buffer.from(v.random_ascii))).toBe(v.encrypt);
    });
  }
  for (const name of ['self_generated_aibot_url_verify', 'self_generated_aibot_text', 'self_generated_aibot_template_card_event']) {
    it(`${name} opens with receiveid ""`, () => {
      const v = vectors[name];
      expect(openCallback(botKeys, { msgSignature: v.msg_signature, timestamp: v.timestamp, nonce: v.nonce, encrypted: v.encrypt })).toBe(v.plaintext);
      // and is refused for the app (receiveid corpId)
      expect(reason(() => openCallback(appKeys, { msgSignature: v.msg_signature, timestamp: v.timestamp, nonce: v.nonce, encrypted: v.encrypt }))).toBe(VERIFY_REASONS.badReceiveId);
    });
  }
  it('passive reply envelope matches the fixture byte for byte', () => {
    const v = vectors.self_generated_passive_reply_to_set_A_post;
    const sealed = sealReply(appKeys, v.plaintext, v.timestamp, v.nonce, Buffer.from(v.random_ascii));
    expect(sealed.encrypt).toBe(v.encrypt);
    expect(sealed.signature).toBe(v.msg_signature);
    expect(replyXml(sealed, v.timestamp, v.nonce)).toBe(v.response_body);
    expect(decrypt(setA.encodingAESKey, sealed.encrypt).id).toBe(setA.corpId);
  });
});

describe('wecom crypto: negative checks', () => {
  const base = { msgSignature: post.msg_signature, timestamp: post.timestamp, nonce: post.nonce, encrypted: post.encrypt };
  it('wrong token → bad signature (fixture signature)', () => {
    expect(wecomSignature('wrongtoken', post.timestamp, post.nonce, post.encrypt)).not.toBe(post.msg_signature);
    expect(reason(() => openCallback({ ...appKeys, token: 'wrongtoken' }, base))).toBe(VERIFY_REASONS.badSignature);
  });
  it('tampered ciphertext → bad signature', () => {
    const tampered = (post.encrypt[0] === 'A' ? 'B' : 'A') + post.encrypt.slice(1);
    expect(reason(() => openCallback(appKeys, { ...base, encrypted: tampered }))).toBe(VERIFY_REASONS.badSignature);
  });
  it('forged signature / missing params', () => {
    expect(reason(() => openCallback(appKeys, { ...base, msgSignature: vectors.negative_checks.wrong_token_signature }))).toBe(VERIFY_REASONS.badSignature);
    expect(reason(() => openCallback(appKeys, { ...base, msgSignature: 'short' }))).toBe(VERIFY_REASONS.badSignature);
    expect(reason(() => openCallback(appKeys, { ...base, nonce: null }))).toBe(VERIFY_REASONS.missingParams);
  });
  it('wrong receiveid (another corp) → receiveid mismatch', () => {
    expect(reason(() => openCallback({ ...appKeys, receiveId: 'wwOtherCorp' }, base))).toBe(VERIFY_REASONS.badReceiveId);
  });
  it('correctly signed garbage base64 / truncated ciphertext → undecryptable, no crash', () => {
    for (const enc of ['!!!not base64!!!', post.encrypt.slice(0, 40), 'AAAA']) {
      const sig = wecomSignature(setA.token, post.timestamp, post.nonce, enc);
      const r = reason(() => openCallback(appKeys, { ...base, encrypted: enc, msgSignature: sig }));
      expect([VERIFY_REASONS.undecryptable, VERIFY_REASONS.badReceiveId]).toContain(r);
    }
  });
  it('wrong EncodingAESKey (signature right) → refused', () => {
    const otherKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    const r = reason(() => openCallback({ ...appKeys, encodingAESKey: otherKey }, base));
    expect([VERIFY_REASONS.undecryptable, VERIFY_REASONS.badReceiveId]).toContain(r);
  });
  it('signatureMatches is case-insensitive and length-safe', () => {
    expect(signatureMatches(post.msg_signature, post.msg_signature.toUpperCase())).toBe(true);
    expect(signatureMatches(post.msg_signature, '')).toBe(false);
  });
});
