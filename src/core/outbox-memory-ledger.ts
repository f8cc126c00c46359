/**
 * The original in-process budget ledger (sliding window + over-budget queue with cardKey coalescing),
 * kept for its tests and as the reference of the budget semantics. ChatOutbox no longer uses it: the
 * durable ledgers (outbox-ledger.ts) hold the same window and queue, plus retries and dead entries.
 */
import type { ChatAddress, OutgoingMessage } from './message.ts';

/** The part of an OutgoingMessage that can wait (and be stored): never `inReplyTo`, replies are not held. */
export type ParkedMessage = Omit<OutgoingMessage, 'inReplyTo'>;

/** What `admit` decided. `retryInMs`: when a slot of this chat may be free again (the outbox re-checks then). */
export type Admission = { send: true } | { send: false; retryInMs: number };

/** Per-chat budget bookkeeping: the sliding send window and the over-budget queue with cardKey coalescing. */
export interface BudgetLedger {
  /**
   * Atomically: reserve a send slot in `msg.to`'s window if the budget allows and nothing waits ahead
   * (→ send now), else park the message, replacing a parked one of the same chat with the same cardKey.
   */
  admit(msg: ParkedMessage): Promise<Admission>;
  /**
   * Takes parked messages that are now within budget (reserving their slots), oldest first, each handed
   * out exactly once. `chat` limits it to one chat; without it every chat is looked at (shared ledgers).
   * `retryInMs` is set when `chat` still has parked messages.
   */
  takeDue(chat?: ChatAddress): Promise<{ messages: ParkedMessage[]; retryInMs?: number }>;
  /**
   * Set by ledgers shared with other processes: poll `takeDue()` this often, so messages parked by a
   * replica that has since stopped still go out. Unset: the per-chat timers are enough.
   */
  readonly pollMs?: number;
}


interface Lane {
  sentAt: number[];
  queue: ParkedMessage[];
}

/** The in-process ledger: exactly the behaviour of the original per-process outbox. */
export class MemoryOutboxLedger implements BudgetLedger {
  private readonly lanes = new Map<string, Lane>();
  private readonly windowMs: number;

  constructor(private readonly options: { budgetPerMinute: number; windowMs?: number; clock?: () => number }) {
    this.windowMs = options.windowMs ?? 60_000;
  }

  async admit(msg: ParkedMessage): Promise<Admission> {
    const lane = this.lane(msg.to);
    this.prune(lane);
    if (lane.queue.length === 0 && lane.sentAt.length < this.options.budgetPerMinute) {
      lane.sentAt.push(this.now());
      return { send: true };
    }
    const same = msg.cardKey ? lane.queue.findIndex((q) => q.cardKey === msg.cardKey) : -1;
    if (same >= 0) lane.queue[same] = msg;
    else lane.queue.push(msg);
    return { send: false, retryInMs: this.retryIn(lane) };
  }

  async takeDue(chat?: ChatAddress): Promise<{ messages: ParkedMessage[]; retryInMs?: number }> {
    const chats = chat === undefined ? [...this.lanes.keys()] : [chat];
    const messages: ParkedMessage[] = [];
    for (const c of chats) {
      const lane = this.lanes.get(c);
      if (!lane) continue;
      this.prune(lane);
      while (lane.queue.length > 0 && lane.sentAt.length < this.options.budgetPerMinute) {
        lane.sentAt.push(this.now());
        messages.push(lane.queue.shift()!);
      }
    }
    const lane = chat === undefined ? undefined : this.lanes.get(chat);
    return lane && lane.queue.length > 0 ? { messages, retryInMs: this.retryIn(lane) } : { messages };
  }

  /** Messages waiting for `chat` (tests, metrics). */
  waiting(chat: ChatAddress): number {
    return this.lanes.get(chat)?.queue.length ?? 0;
  }

  private retryIn(lane: Lane): number {
    return (lane.sentAt[0] ?? this.now()) + this.windowMs - this.now();
  }

  private lane(to: string): Lane {
    let l = this.lanes.get(to);
    if (!l) this.lanes.set(to, (l = { sentAt: [], queue: [] }));
    return l;
  }

  private prune(lane: Lane): void {
    const cutoff = this.now() - this.windowMs;
    while (lane.sentAt.length > 0 && lane.sentAt[0]! <= cutoff) lane.sentAt.shift();
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}
