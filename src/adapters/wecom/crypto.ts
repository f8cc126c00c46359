/**
 * WeCom callback crypto (chat-platforms.md §5–6, packages.md §3.5). `@wecom/crypto` does the AES
 * part only: it checks neither the signature nor the receiveid and may throw or return garbage on bad
 * input, so the order here is fixed: signature (timing-safe) → decrypt in try/catch → receiveid.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { decrypt, encrypt } from '@wecom/crypto';
import { VerificationError } from '../../core/errors.ts';

/** Distinct 401 reasons (mirroring Tencent's -4000x codes) so logs say what failed. */
export const VERIFY_REASONS = {
  missingParams: 'wecom: missing msg_signature, timestamp, nonce or encrypted payload',
  badSignature: 'wecom: msg_signature mismatch',
  undecryptable: 'wecom: payload does not decrypt',
  badReceiveId: 'wecom: receiveid mismatch',
} as const;

/** sha1 hex of the lexicographically sorted [token, timestamp, nonce, encrypt] (§5). */
export function wecomSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
}

/** Timing-safe comparison of two hex signatures. */
export function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface CallbackParams {
  msgSignature: string | null | undefined;
  timestamp: string | null | undefined;
  nonce: string | null | undefined;
  encrypted: string | null | undefined;
}

/**
 * Verify and open one callback payload. Throws VerificationError (→401) on any failure; returns
 * the decrypted message. `receiveId` is the corpId for the app, '' for the 智能机器人.
 */
export function openCallback(
  keys: { token: string; encodingAESKey: string; receiveId: string },
  p: CallbackParams,
): string {
  const { msgSignature, timestamp, nonce, encrypted } = p;
  if (!msgSignature || !timestamp || !nonce || !encrypted) throw new VerificationError(VERIFY_REASONS.missingParams);
  if (!signatureMatches(wecomSignature(keys.token, timestamp, nonce, encrypted), msgSignature)) {
    throw new VerificationError(VERIFY_REASONS.badSignature);
  }
  let opened: { message: string; id: string };
  try {
    // Throws on bad base64 / block length / readUInt32BE out of range (packages.md §3.5).
    opened = decrypt(keys.encodingAESKey, encrypted);
  } catch {
    throw new VerificationError(VERIFY_REASONS.undecryptable);
  }
  // A wrong key does not throw, it yields garbage: the receiveid check is what catches it (§6).
  if (opened.id !== keys.receiveId) throw new VerificationError(VERIFY_REASONS.badReceiveId);
  return opened.message;
}

/** An encrypted passive reply: ciphertext plus its signature over the given timestamp and nonce (§5). */
export function sealReply(
  keys: { token: string; encodingAESKey: string; receiveId: string },
  message: string,
  timestamp: string,
  nonce: string,
  random: Buffer = randomBytes(16),
): { encrypt: string; signature: string } {
  const enc = encrypt(keys.encodingAESKey, message, keys.receiveId, random);
  return { encrypt: enc, signature: wecomSignature(keys.token, timestamp, nonce, enc) };
}

/** The app passive-reply XML envelope, byte layout of the official template (§5). */
export function replyXml(sealed: { encrypt: string; signature: string }, timestamp: string, nonce: string): string {
  return (
    `<xml>\n<Encrypt><![CDATA[${sealed.encrypt}]]></Encrypt>\n` +
    `<MsgSignature><![CDATA[${sealed.signature}]]></MsgSignature>\n` +
    `<TimeStamp>${timestamp}</TimeStamp>\n<Nonce><![CDATA[${nonce}]]></Nonce>\n</xml>`
  );
}
