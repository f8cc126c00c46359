/**
 * Outbound chat: routes a message to the adapter that owns the address prefix and keeps each chat within
 * its budget (DingTalk robots are limited to 20 messages a minute per group; chat-platforms.md §4).
 * Over budget, new messages wait in a per-chat queue; a queued card with the same cardKey is replaced by
 * the newer one (coalescing), so storms fold instead of piling up.
 *
 * The bookkeeping (send window + waiting queue) sits behind `OutboxLedger`: `MemoryOutboxLedger` is the
 * single-process one (memory/lowdb stores), `PgOutboxLedger` (store/postgres/outbox-ledger.ts) shares the
 * window and the queue between replicas on one database (issue 9 §5, docs/scale-out.md §0 flow 5), so
 * two replicas never spend the same chat's 20 a minute twice.
 */
import type { Logger } from 'pino';
import type { ChatAdapter } from './transport.ts';
import { platformOf, type ChatAddress, type OutgoingMessage, type Reply } from './message.ts';
import type { Outbox } from './services.ts';

/** The part of an OutgoingMessage that can wait (and be stored): never `inReplyTo`, replies are not held. */
export type ParkedMessage = Omit<OutgoingMessage, 'inReplyTo'>;

/** What `admit` decided. `retryInMs`: when a slot of this chat may be free again (the outbox re-checks then). */
export type Admission = { send: true } | { send: false; retryInMs: number };

/** Per-chat budget bookkeeping: the sliding send window and the over-budget queue with cardKey coalescing. */
export interface OutboxLedger {
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

export interface OutboxOptions {
  budgetPerMinute: number;
  clock?: () => number;
  /** The budget window (default 60 000 ms; tests shorten it). */
  windowMs?: number;
  /** Default: a MemoryOutboxLedger over budgetPerMinute/windowMs/clock. */
  ledger?: OutboxLedger;
  /**
   * Applied to every reply before it is sent or parked (core/redact.ts `Redactor.reply`), so no path to a
   * chat — reply, card update, queued card — can carry a secret. Default: none.
   */
  redact?: (r: Reply) => Reply;
}

interface Lane {
  sentAt: number[];
  queue: ParkedMessage[];
}

/** The in-process ledger: exactly the behaviour of the original per-process outbox. */
export class MemoryOutboxLedger implements OutboxLedger {
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

export class ChatOutbox implements Outbox {
  private readonly adapters = new Map<string, ChatAdapter>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ledger: OutboxLedger;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;
  /** Messages actually handed to adapters (for metrics and tests). */
  sentCount = 0;

  constructor(
    private readonly log: Logger,
    private readonly options: OutboxOptions = { budgetPerMinute: 20 },
  ) {
    this.ledger = options.ledger ?? new MemoryOutboxLedger(options);
    if (this.ledger.pollMs !== undefined) {
      // unref: the poller must never keep the process alive on its own.
      this.poller = setInterval(() => void this.poll(), this.ledger.pollMs);
      this.poller.unref();
    }
  }

  register(adapter: ChatAdapter): void {
    for (const p of adapter.addressPrefixes) this.adapters.set(p, adapter);
  }

  async send(original: OutgoingMessage): Promise<void> {
    // Redact before the ledger: a parked message may be stored (PgOutboxLedger) and must be clean there too.
    const msg = this.options.redact ? { ...original, reply: this.options.redact(original.reply) } : original;
    // Direct replies to a message the user just typed are not throttled: they answer a human, one to one.
    if (msg.inReplyTo) return this.deliver(msg);
    let admission: Admission;
    try {
      admission = await this.ledger.admit(msg);
    } catch (err) {
      // Shared ledger unreachable (database down): better one message over budget than a lost one.
      this.log.warn({ err, cardKey: msg.cardKey }, 'outbox ledger unavailable; sending without the budget check');
      return this.deliver(msg);
    }
    if (admission.send) return this.deliver(msg);
    this.schedule(msg.to, admission.retryInMs);
  }

  /** Stops the timers and the poller; nothing is queried after this returns (app.ts closes the store next). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  private async deliver(msg: OutgoingMessage): Promise<void> {
    const adapter = this.adapters.get(platformOf(msg.to));
    if (!adapter) {
      this.log.warn({ to: platformOf(msg.to) }, 'no chat adapter for this address; message dropped');
      return;
    }
    this.sentCount++;
    try {
      await adapter.send(msg);
    } catch (err) {
      this.log.error({ err, platform: adapter.platform, cardKey: msg.cardKey }, 'chat send failed');
    }
  }

  /** One timer per chat with parked messages, due when its oldest window slot frees. */
  private schedule(to: string, retryInMs: number): void {
    if (this.timers.has(to) || this.stopped) return;
    const timer = setTimeout(() => void this.drain(to), Math.max(50, retryInMs));
    timer.unref();
    this.timers.set(to, timer);
  }

  private async drain(to: string): Promise<void> {
    this.timers.delete(to);
    if (this.stopped) return;
    try {
      const { messages, retryInMs } = await this.ledger.takeDue(to);
      for (const m of messages) void this.deliver(m);
      if (retryInMs !== undefined) this.schedule(to, retryInMs);
    } catch (err) {
      if (this.stopped) return; // the store closes right after stop()
      this.log.warn({ err }, 'outbox: taking parked messages failed; retrying');
      this.schedule(to, 1000);
    }
  }

  /** Shared ledgers: pick up due messages of any chat (parked here or by another replica). */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const { messages } = await this.ledger.takeDue();
      for (const m of messages) void this.deliver(m);
    } catch (err) {
      if (!this.stopped) this.log.warn({ err }, 'outbox: polling parked messages failed');
    } finally {
      this.polling = false;
    }
  }
}
