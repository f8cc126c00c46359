/**
 * Outbound chat, durable (issue "Delivery to people", item 1): every message and card update is
 * written to the OutboxLedger before its first attempt, then routed to the adapter that owns the
 * address prefix. Failures the adapter calls transient (platform down, 5xx, 429, throttling codes, a
 * long connection not up yet; outbox-retry.ts) are retried with exponential backoff and jitter until
 * the retry budget (chat.retryBudgetHours, default 24 h) is spent; then, or at once for a permanent
 * failure, the entry is *dead*: kept, counted and listed by /outbox, which can queue it again.
 *
 * Order and budget live in the ledger (outbox-ledger.ts): one lane per chat (plus one for replies),
 * only a lane's head is attempted, pushes spend the chat's budget (20 a minute by default: DingTalk
 * robots are throttled for 10 minutes beyond 20/min, chat-platforms.md §4.2), replies to a person's
 * message (`inReplyTo`) are not throttled. Card updates coalesce by cardKey in the ledger.
 *
 * Delivery is at least once: a crash after the platform accepted a message and before the ledger
 * recorded it sends it again on restart (one entry at most per chat lane, the head in flight).
 */
import type { Logger } from 'pino';
import type { ChatAdapter } from './transport.ts';
import { platformOf, type ChatAddress, type OutgoingMessage, type Reply } from './message.ts';
import type { Claim, OutboxLedger, OutboxRow, Settled, Settlement } from './outbox-ledger.ts';
import { classifySendFailure, retryDelayMs, type BackoffOptions } from './outbox-retry.ts';
import { StoreOutboxLedger } from './outbox-store-ledger.ts';
import type { Outbox, OutboxAdmin } from './services.ts';

export type { OutboxLedger } from './outbox-ledger.ts';
export { MemoryOutboxLedger, type Admission, type ParkedMessage } from './outbox-memory-ledger.ts';

/** What a settled attempt counts as in `opsbot_outbox_sends_total{outcome}`. */
export type SendOutcome = 'sent' | 'retried' | 'failed' | 'dead';

export interface OutboxOptions {
  budgetPerMinute: number;
  clock?: () => number;
  /** The budget window (default 60 000 ms; tests shorten it). */
  windowMs?: number;
  /** Default: a memory-only StoreOutboxLedger over budgetPerMinute/windowMs/clock. */
  ledger?: OutboxLedger;
  /**
   * Applied to every reply before it is stored or sent (core/redact.ts `Redactor.reply`), so no path to a
   * chat — reply, card update, queued or retried send — can carry a secret, nor can the outbox table. Default: none.
   */
  redact?: (r: Reply) => Reply;
  /** Retry policy: budget from first queueing (default 24 h), backoff base/cap (1 s / 1 min). */
  retry?: Partial<BackoffOptions> & { budgetMs?: number; random?: () => number };
  /** Called once per settled attempt (metrics). */
  onOutcome?: (platform: string, outcome: SendOutcome) => void;
}

export class ChatOutbox implements Outbox, OutboxAdmin {
  private readonly adapters = new Map<string, ChatAdapter>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  readonly ledger: OutboxLedger;
  private readonly backoff: BackoffOptions;
  private readonly budgetMs: number;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;
  /** Attempts handed to adapters (for metrics and tests). */
  sentCount = 0;

  constructor(
    private readonly log: Logger,
    private readonly options: OutboxOptions = { budgetPerMinute: 20 },
  ) {
    this.ledger = options.ledger ?? new StoreOutboxLedger({ budgetPerMinute: options.budgetPerMinute, ...(options.windowMs ? { windowMs: options.windowMs } : {}), ...(options.clock ? { clock: options.clock } : {}) });
    this.backoff = { baseMs: options.retry?.baseMs ?? 1000, maxMs: options.retry?.maxMs ?? 60_000 };
    this.budgetMs = options.retry?.budgetMs ?? 24 * 3_600_000;
    if (this.ledger.pollMs !== undefined) {
      // unref: the poller must never keep the process alive on its own.
      this.poller = setInterval(() => void this.poll(), this.ledger.pollMs);
      this.poller.unref();
    }
  }

  register(adapter: ChatAdapter): void {
    for (const p of adapter.addressPrefixes) this.adapters.set(p, adapter);
  }

  /** Persists `msg`, then attempts what is due in its chat (resolves after that first attempt). */
  async send(original: OutgoingMessage): Promise<void> {
    // Redact before the ledger: the stored row must be as clean as what reaches the chat.
    const msg = this.options.redact ? { ...original, reply: this.options.redact(original.reply) } : original;
    const adapter = this.adapters.get(platformOf(msg.to));
    if (!adapter) {
      // Not stored: no adapter will appear for it later in this process (a config without that platform).
      this.log.warn({ to: platformOf(msg.to) }, 'no chat adapter for this address; message dropped');
      return;
    }
    try {
      await this.ledger.enqueue(msg);
    } catch (err) {
      // The store is unreachable (database down): one attempt without a record beats a lost message.
      this.log.warn({ err, cardKey: msg.cardKey }, 'outbox ledger unavailable; sending once without persisting');
      this.sentCount++;
      await adapter.send(msg).catch((e: unknown) => this.log.error({ err: e, platform: adapter.platform }, 'chat send failed (not persisted)'));
      return;
    }
    await this.pump(msg.to);
  }

  /** Resumes what an earlier run left queued (app start, after the adapters are up). */
  async start(): Promise<void> {
    const queued = await this.ledger.recover();
    if (queued > 0) this.log.info({ queued }, 'outbox: resuming queued sends');
    await this.pump();
  }

  /** Stops the timers and the poller; nothing is queried after this returns (app.ts closes the store next). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  list(o?: { limit?: number }): Promise<OutboxRow[]> {
    return this.ledger.list(o);
  }

  /** Queues dead entries again (`/outbox retry`) and attempts them. */
  async retryDead(chat?: ChatAddress): Promise<number> {
    const n = await this.ledger.retryDead(chat);
    if (n > 0) await this.pump(chat);
    return n;
  }

  /** Claims the due heads (of `chat`, or of every chat) and attempts them. */
  private async pump(chat?: ChatAddress): Promise<void> {
    if (this.stopped) return;
    let due: Awaited<ReturnType<OutboxLedger['claimDue']>>;
    try {
      due = await this.ledger.claimDue(chat);
    } catch (err) {
      if (this.stopped) return; // the store closes right after stop()
      this.log.warn({ err }, 'outbox: claiming due sends failed; retrying');
      this.schedule(chat ?? '*', 1000);
      return;
    }
    if (due.retryInMs !== undefined) this.schedule(chat ?? '*', due.retryInMs);
    await Promise.all(due.claims.map((c) => this.attempt(c)));
  }

  private async attempt(c: Claim): Promise<void> {
    const platform = platformOf(c.msg.to);
    const adapter = this.adapters.get(platform);
    let how: Settlement;
    if (!adapter) {
      how = { kind: 'dead', reason: 'permanent', error: `no chat adapter for ${platform}` };
    } else {
      this.sentCount++;
      try {
        await adapter.send(c.msg);
        how = { kind: 'sent' };
      } catch (err) {
        how = this.decide(err, c);
      }
    }
    let settled: Settled;
    try {
      settled = await this.ledger.settle(c, how);
    } catch (err) {
      if (!this.stopped) this.log.warn({ err, chat: c.msg.to }, 'outbox: recording a send failed');
      return;
    }
    this.report(platform, c, how, settled);
    if (how.kind === 'sent' && c.attempts > 0 && !this.stopped) await this.recovered(platform);
    // The lane goes on: its next head, or this entry's newer card state.
    await this.pump(c.msg.to);
  }

  /**
   * A send that had failed went through: its platform answers again, so every other send of it waiting out
   * our backoff goes now, instead of each chat waiting for its own timer. Sends still inside the
   * platform's own wait (Retry-After, a throttle) keep waiting. A first attempt that succeeds proves less
   * (that one chat works) and wakes nothing: a chat that keeps failing while the rest of its platform works
   * keeps its own backoff.
   */
  private async recovered(platform: string): Promise<void> {
    try {
      const woken = await this.ledger.wake(platform);
      if (woken > 0) this.log.info({ platform, woken }, 'chat platform answers again; retrying its waiting sends now');
    } catch (err) {
      if (!this.stopped) this.log.warn({ err, platform }, 'outbox: waking waiting sends failed; they retry on their own timers');
      return;
    }
    await this.pump();
  }

  private decide(err: unknown, c: Claim): Settlement {
    const f = classifySendFailure(err);
    if (!f.transient) return { kind: 'dead', reason: 'permanent', error: f.error };
    const inMs = retryDelayMs(c.attempts + 1, this.backoff, f.retryAfterMs, this.options.retry?.random);
    if (c.ageMs + inMs > this.budgetMs) return { kind: 'dead', reason: 'budget', error: f.error };
    // The platform named a wait (Retry-After, a throttle window): a recovery elsewhere does not cut into it.
    return { kind: 'retry', inMs, error: f.error, ...(f.retryAfterMs !== undefined ? { holdMs: f.retryAfterMs } : {}) };
  }

  private report(platform: string, c: Claim, how: Settlement, settled: Settled): void {
    if (settled === 'gone') return;
    const outcome: SendOutcome = how.kind === 'sent' ? 'sent' : how.kind === 'retry' ? 'retried' : how.reason === 'permanent' ? 'failed' : 'dead';
    this.options.onOutcome?.(platform, outcome);
    const ctx = { platform, chat: c.msg.to, cardKey: c.msg.cardKey, attempts: c.attempts + 1 };
    if (how.kind === 'retry') this.log.warn({ ...ctx, error: how.error, retryInMs: how.inMs }, 'chat send failed; will retry');
    else if (how.kind === 'dead') this.log.error({ ...ctx, error: how.error, reason: how.reason }, 'chat send failed; kept as dead (see /outbox)');
  }

  /** One timer per chat (or '*': every chat), re-armed only when the new due time is earlier. */
  private schedule(key: string, inMs: number): void {
    if (this.stopped) return;
    const now = Date.now();
    const at = now + Math.max(20, inMs);
    const cur = this.timers.get(key);
    if (cur && cur.at <= at) return;
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.pump(key === '*' ? undefined : key);
    }, at - now);
    timer.unref();
    this.timers.set(key, { timer, at });
  }

  /** Shared ledgers: pick up due sends of any chat (queued here or by another replica). */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      await this.pump();
    } finally {
      this.polling = false;
    }
  }
}
