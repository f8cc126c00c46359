/**
 * The one neutral entry point for chat (Probot's receive, Bolt's processEvent, grammY's handleUpdate):
 * record the message (dedupe on platform + message id: platforms retry, and Stream acks can be lost),
 * answer one chat's messages in order through the Dispatcher (dispatch.ts), send the replies through
 * the Outbox. Messages acknowledged but never answered are picked up by `recover` (takeover.ts).
 */
import type { Logger } from 'pino';
import { cardToText } from '../../cards/model.ts';
import type { Collection, Store } from '../store/types.ts';
import type { Dispatcher } from './dispatch.ts';
import type { IncomingMessage, Reply, Sender } from './message.ts';
import type { Outbox } from './services.ts';
import { Takeover, type SeenMessage } from './takeover.ts';

export interface BotOptions {
  dispatcher: Dispatcher;
  store: Store;
  outbox: Outbox;
  log: Logger;
  clock: () => number;
  /**
   * Several replicas share the store: another replica's pending message is taken over only once it is
   * this old (its replica is presumed dead), claimed atomically so one replica answers it.
   */
  takeoverAfterMs?: number;
  /** A configured person (people.*): their messages are stored whole; anyone else's text is capped. */
  isKnownSender?: (sender: Sender) => boolean;
}

/**
 * How much of an unregistered sender's text the message record keeps (code points). Anyone in a group
 * the robot is in can post, and each message is stored for dedupe and takeover: 20 messages of 900 KB
 * from unknown DingTalk users once added 36 MB to the journals. 1 000 characters hold any command; the
 * live dispatch still sees the whole text, only a re-run after a restart sees the cut one.
 */
export const UNKNOWN_SENDER_TEXT_LIMIT = 1000;

/** The message as recorded: an unregistered sender's text cut to UNKNOWN_SENDER_TEXT_LIMIT, marked so. */
export function storedMessage(msg: IncomingMessage, known: boolean): IncomingMessage & { textTruncatedFrom?: number } {
  if (known || msg.text.length <= UNKNOWN_SENDER_TEXT_LIMIT) return msg;
  const chars = Array.from(msg.text);
  if (chars.length <= UNKNOWN_SENDER_TEXT_LIMIT) return msg;
  return { ...msg, text: chars.slice(0, UNKNOWN_SENDER_TEXT_LIMIT).join(''), textTruncatedFrom: chars.length };
}

export class Bot {
  private readonly seen: Collection<SeenMessage>;
  private readonly inflight = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly takeover: Takeover;

  constructor(private readonly opts: BotOptions) {
    this.seen = opts.store.collection('chat-messages', { tier: 'bulk', maxItems: 5000 });
    this.takeover = new Takeover({
      seen: this.seen,
      clock: opts.clock,
      ...(opts.takeoverAfterMs !== undefined ? { takeoverAfterMs: opts.takeoverAfterMs } : {}),
      schedule: (key, msg) => this.schedule(key, msg),
    });
  }

  /** Run one message to its replies (no dedupe, nothing sent): tests and the console's re-runs. */
  dispatch(msg: IncomingMessage, options: { confirmed?: boolean } = {}): Promise<Reply[]> {
    return this.opts.dispatcher.dispatch(msg, options);
  }

  /** Record the message (deduplicated) and start processing it. Resolves once recorded, before the command runs. */
  async handleMessage(msg: IncomingMessage): Promise<{ duplicate: boolean }> {
    const key = `${msg.platform}:${msg.id}`;
    const known = this.opts.isKnownSender?.(msg.sender) ?? true;
    const stored = storedMessage(msg, known);
    const fresh = await this.seen.insertIfAbsent(key, { at: msg.receivedAt, status: 'pending', msg: stored, owner: this.takeover.replicaId });
    if (!fresh) return { duplicate: true };
    this.schedule(key, msg);
    return { duplicate: false };
  }

  /** Answer messages acknowledged before a stop (or left by a dead replica); see takeover.ts. */
  recover(maxAgeMs?: number): Promise<number> {
    return this.takeover.recover(maxAgeMs);
  }

  private schedule(key: string, msg: IncomingMessage): void {
    // One chat's messages are answered in the order they arrived; different chats run concurrently.
    const prev = this.chains.get(msg.chat) ?? Promise.resolve();
    const p: Promise<void> = prev
      .then(() => this.takeover.stillMine(key))
      .then((mine) => (mine ? this.process(msg) : undefined))
      .then(() => this.seen.update(key, (cur) => (cur ? { at: cur.at, status: 'done' } : cur)))
      .then(
        () => undefined,
        (err: unknown) => this.opts.log.error({ err }, 'could not mark message done'),
      )
      .finally(() => {
        this.inflight.delete(p);
        if (this.chains.get(msg.chat) === p) this.chains.delete(msg.chat);
      });
    this.chains.set(msg.chat, p);
    this.inflight.add(p);
  }

  /** Resolves when every message being processed has been answered. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async process(msg: IncomingMessage): Promise<void> {
    let replies: Reply[];
    try {
      replies = await this.opts.dispatcher.dispatch(msg);
    } catch (err) {
      this.opts.log.error({ err, platform: msg.platform, msgId: msg.id }, 'message processing failed');
      return;
    }
    for (const reply of replies) await this.opts.outbox.send({ to: msg.chat, reply, inReplyTo: msg });
  }
}

/** Text of replies, for logs and tests. */
export const replyToText = (r: Reply): string => (r.kind === 'text' ? r.text : cardToText(r.card));
