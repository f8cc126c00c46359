/**
 * Outbound chat: routes a message to the adapter that owns the address prefix and keeps each chat within
 * its budget (DingTalk robots are limited to 20 messages a minute per group; chat-platforms.md §4).
 * Over budget, new messages wait in a per-chat queue; a queued card with the same cardKey is replaced by
 * the newer one (coalescing), so storms fold instead of piling up.
 */
import type { Logger } from 'pino';
import type { ChatAdapter } from '../adapters/types.ts';
import { platformOf, type OutgoingMessage } from './message.ts';
import type { Outbox } from './services.ts';

interface ChatLane {
  sentAt: number[];
  queue: OutgoingMessage[];
  timer?: NodeJS.Timeout;
}

export class ChatOutbox implements Outbox {
  private readonly adapters = new Map<string, ChatAdapter>();
  private readonly lanes = new Map<string, ChatLane>();
  /** Messages actually handed to adapters (for metrics and tests). */
  sentCount = 0;

  constructor(
    private readonly log: Logger,
    private readonly options: { budgetPerMinute: number; clock?: () => number } = { budgetPerMinute: 20 },
  ) {}

  register(adapter: ChatAdapter): void {
    for (const p of adapter.addressPrefixes) this.adapters.set(p, adapter);
  }

  async send(msg: OutgoingMessage): Promise<void> {
    // Direct replies to a message the user just typed are not throttled: they answer a human, one to one.
    if (msg.inReplyTo) return this.deliver(msg);
    const lane = this.lane(msg.to);
    this.prune(lane);
    if (lane.queue.length === 0 && lane.sentAt.length < this.options.budgetPerMinute) {
      lane.sentAt.push(this.now());
      return this.deliver(msg);
    }
    const same = msg.cardKey ? lane.queue.findIndex((q) => q.cardKey === msg.cardKey) : -1;
    if (same >= 0) lane.queue[same] = msg;
    else lane.queue.push(msg);
    this.schedule(msg.to, lane);
  }

  stop(): void {
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
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

  private schedule(to: string, lane: ChatLane): void {
    if (lane.timer) return;
    const oldest = lane.sentAt[0] ?? this.now();
    const wait = Math.max(50, oldest + 60_000 - this.now());
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.prune(lane);
      while (lane.queue.length > 0 && lane.sentAt.length < this.options.budgetPerMinute) {
        lane.sentAt.push(this.now());
        void this.deliver(lane.queue.shift()!);
      }
      if (lane.queue.length > 0) this.schedule(to, lane);
    }, wait);
    lane.timer.unref();
  }

  private lane(to: string): ChatLane {
    let l = this.lanes.get(to);
    if (!l) this.lanes.set(to, (l = { sentAt: [], queue: [] }));
    return l;
  }

  private prune(lane: ChatLane): void {
    const cutoff = this.now() - 60_000;
    while (lane.sentAt.length > 0 && lane.sentAt[0]! <= cutoff) lane.sentAt.shift();
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}
