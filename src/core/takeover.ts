/**
 * Messages acknowledged to the platform but never answered (the process died in between): answered
 * after a restart if recent enough that the sender still expects an answer; older ones are dropped (a
 * deploy typed an hour ago should not start by surprise). With several replicas on one store, a
 * message another replica is answering is taken over only once that replica must be dead, and claimed
 * atomically so exactly one replica answers it.
 */
import type { Collection } from '../store/types.ts';
import type { IncomingMessage } from './message.ts';

/** A recorded chat message: kept (without the body once answered) for dedupe. */
export interface SeenMessage {
  at: number;
  status: 'pending' | 'done' | 'expired';
  msg?: IncomingMessage;
  /** The replica answering it (several replicas on one database). */
  owner?: string;
  /** When its replica started answering it (the takeover grace counts from here). */
  startedAt?: number;
}

export interface TakeoverDeps {
  seen: Collection<SeenMessage>;
  clock: () => number;
  /** Shared store: the grace before another replica's pending message is taken over. Unset: one process. */
  takeoverAfterMs?: number;
  /** Answer this message (in its chat's order). */
  schedule(key: string, msg: IncomingMessage): void;
}

export class Takeover {
  /** This process's identity on pending messages. */
  readonly replicaId = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly d: TakeoverDeps) {}

  async recover(maxAgeMs = 10 * 60_000): Promise<number> {
    const now = this.d.clock();
    const pending = await this.d.seen.list({ filter: (m) => m.status === 'pending' && m.msg !== undefined });
    let n = 0;
    const graceMs = this.d.takeoverAfterMs ?? 0;
    for (const m of pending) {
      const msg = m.msg!;
      const key = `${msg.platform}:${msg.id}`;
      if (m.owner === this.replicaId) continue; // being answered here
      if (now - m.at > maxAgeMs) {
        await this.d.seen.update(key, (cur) => (cur?.status === 'pending' ? { at: cur.at, status: 'expired' } : cur));
        continue;
      }
      // Shared store: a live replica may be answering it right now; wait until it must be dead.
      if (now - (m.startedAt ?? m.at) < graceMs) continue;
      const claimed = await this.d.seen.update(key, (cur) =>
        cur?.status === 'pending' && cur.owner === m.owner && cur.startedAt === m.startedAt ? { ...cur, owner: this.replicaId, startedAt: now } : cur,
      );
      if (claimed?.owner !== this.replicaId) continue;
      n++;
      this.d.schedule(key, msg);
    }
    return n;
  }

  /**
   * Shared store: right before answering, confirm this replica still owns the message and restart its
   * grace (a long queue in this chat must not let another replica answer it too). One process: always.
   */
  async stillMine(key: string): Promise<boolean> {
    if (this.d.takeoverAfterMs === undefined) return true;
    const now = this.d.clock();
    const cur = await this.d.seen.update(key, (c) => (c?.status === 'pending' && c.owner === this.replicaId ? { ...c, startedAt: now } : c));
    return cur?.owner === this.replicaId && cur.status === 'pending';
  }
}

/**
 * Several replicas: every 30 s, answer messages a replica that died left unanswered. Returns the stop
 * function. unref: it never keeps the process alive on its own.
 */
export function startTakeoverLoop(bot: { recover(): Promise<number> }, log: import('pino').Logger, everyMs = 30_000): () => void {
  const timer = setInterval(() => {
    void bot.recover().then(
      (n) => n > 0 && log.warn({ unanswered: n }, 'answering chat messages left by a replica that stopped'),
      (err: unknown) => log.warn({ err }, 'chat message takeover failed'),
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
