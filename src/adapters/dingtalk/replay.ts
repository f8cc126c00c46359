/**
 * HTTP-mode replay guard (hardening item 5). DingTalk signs only the timestamp: `sign` =
 * HMAC-SHA256(`timestamp + "\n" + appSecret`), never the body (chat-platforms.md §3). So one captured
 * `timestamp`+`sign` pair would authorise any body for as long as the timestamp is fresh (±1 hour).
 * DingTalk sends a fresh pair with every message, so each pair is accepted once, and remembered in
 * the Store for as long as it can pass the freshness check, so a restart does not reopen the window.
 */
import { createHash } from 'node:crypto';
import { VerificationError } from '../../core/errors.ts';
import { MemoryCollection } from '../../store/memory-store.ts';
import type { Collection, CollectionOptions, Store } from '../../store/types.ts';
import { MAX_SKEW_MS } from './verify.ts';

/** What is kept per pair: the body it came with, so a byte-identical retry is not a 401. */
export interface SeenSign {
  bodyHash: string;
  timestamp: number;
}

/**
 * A pair passes `verifyDingtalkRequest` while |now − timestamp| ≤ 1 h, i.e. for up to 2 h after it
 * was first seen (a timestamp up to 1 h ahead of our clock is fresh too); keep it a little longer.
 * maxItems bounds the file: 20 000 pairs in 2 h is ~3 messages a second, far above a chat-ops bot's
 * rate (each HTTP-mode message carries one pair).
 */
export const SIGN_COLLECTION: CollectionOptions = { tier: 'bulk', maxItems: 20_000, maxAgeMs: 2 * MAX_SKEW_MS + 5 * 60_000 };

/** Remembers verified `timestamp`+`sign` pairs and refuses one that comes back with another body. */
export class SignLedger {
  private readonly seen: Collection<SeenSign>;

  /** Without a Store (unit tests) the pairs live in memory only. */
  constructor(store?: Store) {
    this.seen = store?.collection<SeenSign>('dingtalk-signs', SIGN_COLLECTION) ?? new MemoryCollection<SeenSign>(SIGN_COLLECTION);
  }

  /**
   * Call after the signature verified. Throws VerificationError (→ 401) when the pair was already
   * used for a different body. The same body again (a retry of one delivery) passes; the msgId
   * dedupe downstream keeps it from running twice.
   */
  async accept(timestamp: string, sign: string, rawBody: Buffer): Promise<void> {
    const key = `${timestamp}|${sign}`;
    const doc: SeenSign = { bodyHash: createHash('sha256').update(rawBody).digest('base64url'), timestamp: Number(timestamp) };
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.seen.insertIfAbsent(key, doc)) return;
      const prev = await this.seen.get(key);
      if (prev) {
        if (prev.bodyHash === doc.bodyHash) return;
        throw new VerificationError('timestamp/sign pair already used for another body (replay)');
      }
      // Dropped by retention between the two calls: try to claim it again.
    }
    throw new VerificationError('timestamp/sign pair already used (replay)');
  }
}
