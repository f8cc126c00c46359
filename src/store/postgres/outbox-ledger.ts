/**
 * The outbox ledger shared by every replica on one PostgreSQL (issue 9 §5; docs/scale-out.md §0 flow 5,
 * tables from migration 0003-outbox): a chat's budget (20 a minute by default) and its over-budget queue
 * hold across replicas instead of per process.
 *
 * - Window: one `chat_sends` row per message handed to an adapter, stamped with the database clock
 *   (`clock_timestamp()`, never a replica's clock, so replica clock skew cannot widen the budget; not
 *   `now()` either, which is the transaction start and would predate a wait for the lock).
 * - Every decision runs in one transaction under `pg_advisory_xact_lock(OUTBOX_LOCK_NAMESPACE,
 *   hashtext(chat))`: count the window, then reserve a slot or park. Two replicas can never both take the
 *   20th slot, and a message never overtakes one parked ahead of it (ids are assigned under the lock).
 * - Parking: `INSERT … ON CONFLICT (chat, coalesce_key) WHERE state='pending' DO UPDATE SET payload =
 *   EXCLUDED.payload`, as flow 5 says: a newer card update replaces the parked one in its queue position.
 * - Draining: `DELETE … RETURNING` of the oldest parked rows, as many as the window has room for, in the
 *   same locked transaction that records their slots: each parked message is handed out exactly once.
 *   Deviation from flow 5 ("only the leader drains"): ANY replica drains, because every replica has the
 *   same adapters and sends through the platforms' HTTP APIs (DingTalk/WeCom in-place card state is in
 *   the Store), and the claim is exactly-once by itself; this needs no leader hand-over, and a replica's
 *   own messages within budget go out at once without a round trip through the leader. A replica that
 *   dies between commit and send loses those messages (at most once), like the in-memory outbox on a crash.
 * - Rows out of the window are pruned per chat on every decision and globally every `pruneEvery` polls.
 */
import type pg from 'pg';
import type { Admission, OutboxLedger, ParkedMessage } from '../../core/outbox.ts';
import type { ChatAddress } from '../../core/message.ts';
import { withTransaction } from './collection.ts';

/**
 * Advisory-lock namespace for per-chat outbox locks ('opso'): apart from migrations.ts's LOCK_NAMESPACE,
 * whose keys are hashtext() of leader names (session locks share the key space with xact locks).
 */
export const OUTBOX_LOCK_NAMESPACE = 0x6f70736f;

export interface PgOutboxLedgerOptions {
  /** config.chat.budgetPerMinute: messages per chat per window. */
  budgetPerMinute: number;
  /** Window length (default 60 000 ms; tests shorten it). */
  windowMs?: number;
  /** How often the outbox polls for parked messages of any chat (default 1000 ms, scale-out.md §0 flow 6). */
  pollMs?: number;
  /** Global prune of expired window rows every this many polls (default 60). */
  pruneEvery?: number;
}

type Db = pg.PoolClient;

export class PgOutboxLedger implements OutboxLedger {
  readonly pollMs: number;
  private readonly windowMs: number;
  private polls = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgOutboxLedgerOptions,
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
  }

  async admit(msg: ParkedMessage): Promise<Admission> {
    return withTransaction(this.pool, async (c) => {
      const { sent, waiting } = await this.lockAndCount(c, msg.to);
      if (!waiting && sent < this.options.budgetPerMinute) {
        await c.query('INSERT INTO chat_sends (chat) VALUES ($1)', [msg.to]);
        return { send: true } as const;
      }
      await c.query(
        `INSERT INTO outbox (chat, coalesce_key, payload) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (chat, coalesce_key) WHERE state = 'pending' DO UPDATE SET payload = EXCLUDED.payload`,
        [msg.to, msg.cardKey ?? null, JSON.stringify(serialisable(msg))],
      );
      return { send: false, retryInMs: await this.retryIn(c, msg.to) } as const;
    });
  }

  async takeDue(chat?: ChatAddress): Promise<{ messages: ParkedMessage[]; retryInMs?: number }> {
    if (chat !== undefined) return this.takeDueOf(chat);
    if (++this.polls % (this.options.pruneEvery ?? 60) === 0) {
      await this.pool.query(`DELETE FROM chat_sends WHERE sent_at <= clock_timestamp() - $1 * interval '1 millisecond'`, [this.windowMs]);
    }
    // Chats with parked messages and room in their window (re-checked under the lock below).
    const { rows } = await this.pool.query<{ chat: string }>(
      `SELECT o.chat FROM (SELECT DISTINCT chat FROM outbox WHERE state = 'pending') o
       WHERE (SELECT count(*) FROM chat_sends s
              WHERE s.chat = o.chat AND s.sent_at > clock_timestamp() - $1 * interval '1 millisecond') < $2`,
      [this.windowMs, this.options.budgetPerMinute],
    );
    const messages: ParkedMessage[] = [];
    for (const r of rows) messages.push(...(await this.takeDueOf(r.chat)).messages);
    return { messages };
  }

  private async takeDueOf(chat: ChatAddress): Promise<{ messages: ParkedMessage[]; retryInMs?: number }> {
    return withTransaction(this.pool, async (c) => {
      const { sent, waiting } = await this.lockAndCount(c, chat);
      if (!waiting) return { messages: [] };
      const room = this.options.budgetPerMinute - sent;
      let messages: ParkedMessage[] = [];
      if (room > 0) {
        const taken = await c.query<{ payload: ParkedMessage }>(
          `WITH taken AS (
             DELETE FROM outbox WHERE id IN (
               SELECT id FROM outbox WHERE chat = $1 AND state = 'pending' ORDER BY id LIMIT $2)
             RETURNING id, payload)
           SELECT payload FROM taken ORDER BY id`,
          [chat, room],
        );
        messages = taken.rows.map((r) => r.payload);
        if (messages.length > 0) {
          await c.query('INSERT INTO chat_sends (chat) SELECT $1 FROM generate_series(1, $2::int)', [chat, messages.length]);
        }
      }
      const left = await c.query(`SELECT 1 FROM outbox WHERE chat = $1 AND state = 'pending' LIMIT 1`, [chat]);
      return left.rowCount ? { messages, retryInMs: await this.retryIn(c, chat) } : { messages };
    });
  }

  /** Takes the chat's lock for this transaction, prunes its expired slots, counts the window and the queue. */
  private async lockAndCount(c: Db, chat: ChatAddress): Promise<{ sent: number; waiting: boolean }> {
    await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [OUTBOX_LOCK_NAMESPACE, chat]);
    await c.query(`DELETE FROM chat_sends WHERE chat = $1 AND sent_at <= clock_timestamp() - $2 * interval '1 millisecond'`, [chat, this.windowMs]);
    const r = await c.query<{ sent: number; waiting: boolean }>(
      `SELECT (SELECT count(*)::int FROM chat_sends WHERE chat = $1) AS sent,
              EXISTS (SELECT 1 FROM outbox WHERE chat = $1 AND state = 'pending') AS waiting`,
      [chat],
    );
    return r.rows[0]!;
  }

  /** ms until the chat's oldest slot in the window expires (0 when the window is empty). */
  private async retryIn(c: Db, chat: ChatAddress): Promise<number> {
    const r = await c.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(sent_at) + $2 * interval '1 millisecond' - clock_timestamp()) * 1000)::float8 AS ms
       FROM chat_sends WHERE chat = $1`,
      [chat, this.windowMs],
    );
    return Math.max(0, Math.ceil(r.rows[0]?.ms ?? 0));
  }
}

/** What is stored for a parked message: the OutgoingMessage minus `inReplyTo` (replies are never parked). */
function serialisable(msg: ParkedMessage): ParkedMessage {
  return {
    to: msg.to,
    reply: msg.reply,
    ...(msg.cardKey !== undefined ? { cardKey: msg.cardKey } : {}),
    ...(msg.mentions !== undefined ? { mentions: msg.mentions } : {}),
  };
}
