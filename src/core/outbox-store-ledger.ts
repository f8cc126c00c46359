/**
 * The single-process OutboxLedger: entries in a Store collection (`outbox`, bulk tier: the lowdb
 * journal), an in-memory index over them. Without a collection (tests, the default of `new
 * ChatOutbox()`) it is memory only. One process owns the data directory, so "in flight" needs no
 * lease: on start (`recover`) every entry not sent is queued again.
 *
 * The per-chat send window (chat.budgetPerMinute, DingTalk's 20 a minute per group,
 * chat-platforms.md §4.2) counts every attempt; successful sends are kept as slim `sent` records for
 * one window so a restart does not hand a chat a fresh budget.
 */
import type { Collection } from '../store/types.ts';
import type { ChatAddress, OutgoingMessage } from './message.ts';
import { laneOf, type Claim, type OutboxLedger, type OutboxRow, type Settled, type Settlement } from './outbox-ledger.ts';
import { platformOf } from './message.ts';

/** One document of the `outbox` collection. */
export interface StoredOutboxEntry {
  id: string;
  seq: number;
  chat: ChatAddress;
  lane: string;
  platform: string;
  state: 'queued' | 'dead' | 'sent';
  /** Absent on `sent` records. */
  msg?: OutgoingMessage;
  cardKey?: string;
  reply: boolean;
  version: number;
  attempts: number;
  queuedAt: number;
  notBefore: number;
  /** Until when the platform itself said to wait (Settlement `holdMs`: Retry-After, a throttle): wake() leaves it until then. */
  holdUntil?: number;
  lastError?: string;
  deadReason?: 'permanent' | 'budget';
  sentAt?: number;
}

export interface StoreOutboxLedgerOptions {
  budgetPerMinute: number;
  /** The budget window (default 60 000 ms; tests shorten it). */
  windowMs?: number;
  clock?: () => number;
  /** Where entries are persisted; unset: memory only. */
  collection?: Collection<StoredOutboxEntry>;
}

export class StoreOutboxLedger implements OutboxLedger {
  private readonly entries = new Map<string, StoredOutboxEntry>();
  private readonly inflight = new Set<string>();
  private readonly windows = new Map<string, number[]>();
  private readonly windowMs: number;
  private seq = 0;
  private loaded: Promise<void> | undefined;

  constructor(private readonly o: StoreOutboxLedgerOptions) {
    this.windowMs = o.windowMs ?? 60_000;
  }

  async enqueue(msg: OutgoingMessage): Promise<void> {
    await this.load();
    const reply = msg.inReplyTo !== undefined;
    if (msg.cardKey && !reply) {
      for (const e of [...this.entries.values()]) {
        if (e.chat !== msg.to || e.cardKey !== msg.cardKey || e.reply) continue;
        if (e.state === 'queued') {
          // The newest state replaces the queued one in place (also while an attempt of it is in flight:
          // the version tells settle() to send again), so only the latest card state ever goes out.
          e.msg = msg;
          e.version++;
          return this.persist(e);
        }
        // A dead older state of this card is superseded by the new one.
        if (e.state === 'dead') await this.remove(e);
      }
    }
    const now = this.now();
    const seq = ++this.seq;
    const e: StoredOutboxEntry = {
      id: String(seq).padStart(12, '0'),
      seq,
      chat: msg.to,
      lane: laneOf(msg),
      platform: platformOf(msg.to),
      state: 'queued',
      msg,
      ...(msg.cardKey ? { cardKey: msg.cardKey } : {}),
      reply,
      version: 1,
      attempts: 0,
      queuedAt: now,
      notBefore: 0,
    };
    this.entries.set(e.id, e);
    await this.persist(e);
  }

  async claimDue(chat?: ChatAddress): Promise<{ claims: Claim[]; retryInMs?: number }> {
    await this.load();
    const now = this.now();
    await this.pruneSent(now);
    const heads = new Map<string, StoredOutboxEntry>();
    for (const e of this.entries.values()) {
      if (e.state !== 'queued' || (chat !== undefined && e.chat !== chat) || heads.has(e.lane)) continue;
      heads.set(e.lane, e);
    }
    const claims: Claim[] = [];
    let retryInMs: number | undefined;
    const later = (ms: number) => (retryInMs = Math.max(0, Math.min(retryInMs ?? Infinity, ms)));
    for (const head of heads.values()) {
      if (this.inflight.has(head.id)) continue; // its lane is busy; settling it looks at the lane again
      if (head.notBefore > now) {
        later(head.notBefore - now);
        continue;
      }
      if (!head.reply) {
        const w = this.window(head.chat, now);
        if (w.length >= this.o.budgetPerMinute) {
          later(w[0]! + this.windowMs - now);
          continue;
        }
        w.push(now);
      }
      this.inflight.add(head.id);
      claims.push({ id: head.id, version: head.version, msg: head.msg!, attempts: head.attempts, ageMs: now - head.queuedAt });
    }
    return retryInMs === undefined ? { claims } : { claims, retryInMs };
  }

  async settle(claim: Claim, how: Settlement): Promise<Settled> {
    this.inflight.delete(claim.id);
    const e = this.entries.get(claim.id);
    if (!e || e.state !== 'queued') return 'gone';
    const now = this.now();
    if (how.kind === 'sent') {
      if (e.version !== claim.version) {
        e.attempts = 0;
        e.notBefore = 0;
        delete e.holdUntil;
        await this.persist(e);
        return 'resend';
      }
      const sent: StoredOutboxEntry = { ...e, state: 'sent', sentAt: now, attempts: e.attempts + 1 };
      delete sent.msg;
      this.entries.set(e.id, sent);
      await this.persist(sent);
      return 'sent';
    }
    e.attempts++;
    e.lastError = how.error;
    if (how.kind === 'retry') {
      e.notBefore = now + how.inMs;
      if (how.holdMs !== undefined) e.holdUntil = now + how.holdMs;
      else delete e.holdUntil;
      await this.persist(e);
      return 'retried';
    }
    e.state = 'dead';
    e.deadReason = how.reason;
    await this.persist(e);
    return 'dead';
  }

  async recover(): Promise<number> {
    await this.load();
    this.inflight.clear();
    return [...this.entries.values()].filter((e) => e.state === 'queued').length;
  }

  async list(o: { limit?: number } = {}): Promise<OutboxRow[]> {
    await this.load();
    const rows: OutboxRow[] = [];
    for (const e of this.entries.values()) {
      if (e.state === 'sent') continue;
      rows.push({
        id: e.id,
        chat: e.chat,
        platform: e.platform,
        state: e.state === 'dead' ? 'dead' : this.inflight.has(e.id) ? 'sending' : 'queued',
        attempts: e.attempts,
        reply: e.reply,
        queuedAt: e.queuedAt,
        ...(e.cardKey ? { cardKey: e.cardKey } : {}),
        ...(e.lastError ? { lastError: e.lastError } : {}),
        ...(e.deadReason ? { deadReason: e.deadReason } : {}),
      });
      if (rows.length >= (o.limit ?? 500)) break;
    }
    return rows;
  }

  async wake(platform: string): Promise<number> {
    await this.load();
    const now = this.now();
    const waiting = [...this.entries.values()].filter(
      (e) => e.state === 'queued' && e.platform === platform && e.notBefore > now && (e.holdUntil ?? 0) <= now && !this.inflight.has(e.id),
    );
    // All set before the first await: a claim between two persists then finds every one of them due.
    for (const e of waiting) e.notBefore = 0;
    for (const e of waiting) await this.persist(e);
    return waiting.length;
  }

  async retryDead(chat?: ChatAddress): Promise<number> {
    await this.load();
    let n = 0;
    const now = this.now();
    for (const e of this.entries.values()) {
      if (e.state !== 'dead' || (chat !== undefined && e.chat !== chat)) continue;
      e.state = 'queued';
      e.attempts = 0;
      e.notBefore = 0;
      delete e.holdUntil;
      e.queuedAt = now; // a fresh retry budget
      delete e.deadReason;
      await this.persist(e);
      n++;
    }
    return n;
  }

  async counts(): Promise<{ platform: string; queued: number; dead: number }[]> {
    await this.load();
    const by = new Map<string, { platform: string; queued: number; dead: number }>();
    for (const e of this.entries.values()) {
      if (e.state === 'sent') continue;
      let c = by.get(e.platform);
      if (!c) by.set(e.platform, (c = { platform: e.platform, queued: 0, dead: 0 }));
      if (e.state === 'dead') c.dead++;
      else c.queued++;
    }
    return [...by.values()];
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const all = (await this.o.collection?.list()) ?? [];
      all.sort((a, b) => a.seq - b.seq);
      for (const e of all) {
        this.entries.set(e.id, e);
        this.seq = Math.max(this.seq, e.seq);
        if (e.state === 'sent' && e.sentAt !== undefined) this.window(e.chat, this.now()).push(e.sentAt);
      }
    })();
    return this.loaded;
  }

  /** The chat's attempts within the window, oldest first (pruned). */
  private window(chat: string, now: number): number[] {
    let w = this.windows.get(chat);
    if (!w) this.windows.set(chat, (w = []));
    while (w.length > 0 && w[0]! <= now - this.windowMs) w.shift();
    return w;
  }

  /** `sent` records are needed for one window only. */
  private async pruneSent(now: number): Promise<void> {
    for (const e of [...this.entries.values()]) {
      if (e.state === 'sent' && (e.sentAt ?? 0) <= now - this.windowMs) await this.remove(e);
    }
  }

  private async persist(e: StoredOutboxEntry): Promise<void> {
    await this.o.collection?.put(e.id, { ...e });
  }

  private async remove(e: StoredOutboxEntry): Promise<void> {
    this.entries.delete(e.id);
    await this.o.collection?.delete(e.id);
  }

  private now(): number {
    return (this.o.clock ?? Date.now)();
  }
}
