/**
 * Pending proposals for commands that need confirmation (Hubot propose/confirm): one per chat+user,
 * with a TTL. Confirmed by the card's button or `/confirm <id>` from the same user in the same chat;
 * `/cancel` drops it. Kept in the hot store so a restart does not lose or revive them wrongly.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from './message.ts';
import type { Collection, Store } from '../store/types.ts';

export interface Proposal {
  id: string;
  chat: string;
  senderId: string;
  platform: string;
  /** The command text to run once confirmed. */
  text: string;
  createdAt: number;
  expiresAt: number;
}

export type TakeResult = { ok: true; proposal: Proposal } | { ok: false; reason: 'none' | 'expired' | 'wrong-user' };

const keyOf = (chat: string, senderId: string) => `${chat}|${senderId}`;

export class Confirmations {
  private readonly pending: Collection<Proposal>;

  constructor(
    store: Store,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.pending = store.collection<Proposal>('confirmations', { tier: 'hot' });
  }

  /** Replace any earlier proposal of this user in this chat. */
  async propose(msg: IncomingMessage, text: string): Promise<Proposal> {
    const now = this.clock();
    const proposal: Proposal = {
      id: randomBytes(3).toString('hex'),
      chat: msg.chat,
      senderId: msg.sender.id,
      platform: msg.platform,
      text,
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    await this.pending.put(keyOf(msg.chat, msg.sender.id), proposal);
    return proposal;
  }

  /** Take the proposal `id` (or this user's only one) for this user in this chat. */
  async take(msg: IncomingMessage, id?: string): Promise<TakeResult> {
    const key = keyOf(msg.chat, msg.sender.id);
    const mine = await this.pending.get(key);
    if (!mine || (id !== undefined && mine.id !== id)) {
      if (id !== undefined) {
        const other = await this.pending.list({ filter: (p) => p.id === id && p.chat === msg.chat });
        if (other.length > 0) return { ok: false, reason: 'wrong-user' };
      }
      return { ok: false, reason: 'none' };
    }
    await this.pending.delete(key);
    if (mine.expiresAt <= this.clock()) return { ok: false, reason: 'expired' };
    return { ok: true, proposal: mine };
  }

  async cancel(msg: IncomingMessage): Promise<boolean> {
    return this.pending.delete(keyOf(msg.chat, msg.sender.id));
  }
}
