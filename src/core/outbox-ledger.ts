/**
 * The durable outbox's bookkeeping, behind one interface with two implementations: `StoreOutboxLedger`
 * (outbox-store-ledger.ts: one process, a Store collection) and `PgOutboxLedger`
 * (store/postgres/outbox-ledger.ts: a table shared by replicas). src/store/coordination.ts picks one.
 *
 * Every message is an entry from before its first attempt until it is sent (or dead, kept for /outbox).
 * Entries form *lanes*: a chat's pushes are one lane, its replies (`inReplyTo`) another. Only a lane's
 * head (oldest live entry) is ever attempted, so one chat's messages keep their order and a chat whose
 * head is retrying holds its later messages back; other chats and replies are unaffected.
 */
import type { ChatAddress, OutgoingMessage } from './message.ts';

/** A head handed out for one attempt; `version` says which state of a coalesced card it carries. */
export interface Claim {
  id: string;
  version: number;
  msg: OutgoingMessage;
  /** Attempts made before this one. */
  attempts: number;
  /** How long ago the entry was first queued (the retry budget counts from here). */
  ageMs: number;
}

/** How an attempt ended, as the outbox decided (outbox.ts). */
export type Settlement =
  | { kind: 'sent' }
  /** `holdMs`: the platform's own wait (Retry-After, a throttling window): wake() never cuts into it. */
  | { kind: 'retry'; inMs: number; error: string; holdMs?: number }
  | { kind: 'dead'; reason: 'permanent' | 'budget'; error: string };

/** `resend`: sent, but a newer state of the card arrived meanwhile and is queued in the same place. */
export type Settled = 'sent' | 'resend' | 'retried' | 'dead' | 'gone';

/** One queued or dead entry, for /outbox. */
export interface OutboxRow {
  id: string;
  chat: ChatAddress;
  platform: string;
  state: 'queued' | 'sending' | 'dead';
  attempts: number;
  cardKey?: string;
  reply: boolean;
  lastError?: string;
  deadReason?: 'permanent' | 'budget';
  /** ms since epoch (the store's clock). */
  queuedAt: number;
}

export interface OutboxLedger {
  /**
   * Persists `msg` (durable when this resolves). A push with a cardKey replaces the live entry of that
   * card in its chat (newest state, same queue position, version + 1) and drops a dead one.
   */
  enqueue(msg: OutgoingMessage): Promise<void>;
  /**
   * Claims the heads that are due (backoff over) and, for pushes, within the chat budget (a slot is
   * reserved per attempt). `chat` limits it to one chat. `retryInMs`: when something in scope may be
   * due next (unset: nothing waits).
   */
  claimDue(chat?: ChatAddress): Promise<{ claims: Claim[]; retryInMs?: number }>;
  settle(claim: Claim, how: Settlement): Promise<Settled>;
  /** On start: entries a previous run left mid-attempt are queued again (their sends are resumed). */
  recover(): Promise<number>;
  /** Queued and dead entries, oldest first (at most `limit`). */
  list(o?: { limit?: number }): Promise<OutboxRow[]>;
  /** Dead entries of `chat` (all chats when undefined) are queued again with a fresh budget. */
  retryDead(chat?: ChatAddress): Promise<number>;
  /**
   * Entries of `platform` waiting out a backoff of ours (past any platform hold) are due now: the platform
   * answered again (outbox.ts recovered). Returns how many were woken.
   */
  wake(platform: string): Promise<number>;
  /** Live (queued or in flight) and dead entries per platform, for /metrics. */
  counts(): Promise<{ platform: string; queued: number; dead: number }[]>;
  /**
   * Set by ledgers shared with other processes: poll `claimDue()` this often, so entries queued by a
   * replica that has since stopped still go out. Unset: the outbox's own timers are enough.
   */
  readonly pollMs?: number;
}

/** The lane of a message: replies to a person are their own lane (never behind the chat's pushes). */
export const laneOf = (msg: OutgoingMessage): string => (msg.inReplyTo ? `reply:${msg.to}` : msg.to);
