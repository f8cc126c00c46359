/**
 * The durable outbox shared by every replica on one PostgreSQL (docs/scale-out.md §0 flow 5, §3.2–3.3;
 * tables from migrations 0003-outbox and 0004-durable-outbox): every message is an `outbox` row from
 * before its first attempt until it is sent (then deleted) or dead (kept for /outbox).
 *
 * - Window: one `chat_sends` row per attempt of a push, stamped with the database clock
 *   (`clock_timestamp()`, never a replica's clock, so clock skew cannot widen the budget; not `now()`,
 *   the transaction start, which would predate a wait for the lock).
 * - Every decision about a chat runs in one transaction under `pg_advisory_xact_lock(OUTBOX_LOCK_NAMESPACE,
 *   hashtext(chat))`: ids are assigned under it, so a lane's order is the enqueue order across replicas,
 *   and two replicas never both take the 20th slot or both claim a lane's head.
 * - Coalescing: `INSERT … ON CONFLICT (chat, coalesce_key) WHERE state <> 'dead' AND NOT reply DO UPDATE
 *   SET payload = EXCLUDED.payload, version = version + 1` (flow 5): a newer card state replaces the
 *   queued or in-flight one in place; the version tells the sender to send again after an attempt.
 * - Claims: the lane head goes `pending → sending` with a lease (`leaseMs`); settling is fenced on
 *   `state = 'sending'`. A replica that dies mid-attempt loses the lease and any replica picks the head
 *   up again (at least once, like a crash in the embedded outbox). Deviation from flow 5 ("only the
 *   leader drains"): any replica drains, since the claim is exclusive by itself and needs no hand-over.
 * - Expired window rows are pruned per chat on every decision and globally every `pruneEvery` polls.
 */
import type pg from 'pg';
import type { ChatAddress, OutgoingMessage } from '../../core/message.ts';
import { platformOf } from '../../core/message.ts';
import { laneOf, type Claim, type OutboxLedger, type OutboxRow, type Settled, type Settlement } from '../../core/outbox-ledger.ts';
import { withTransaction } from './collection.ts';

/**
 * Advisory-lock namespace for per-chat outbox locks ('opso'): apart from migrations.ts's LOCK_NAMESPACE,
 * whose keys are hashtext() of leader names (session locks share the key space with xact locks).
 */
export const OUTBOX_LOCK_NAMESPACE = 0x6f70736f;

export interface PgOutboxLedgerOptions {
  /** config.chat.budgetPerMinute: pushes per chat per window. */
  budgetPerMinute: number;
  /** Window length (default 60 000 ms; tests shorten it). */
  windowMs?: number;
  /** How often the outbox polls for due sends of any chat (default 1000 ms, scale-out.md §0 flow 6). */
  pollMs?: number;
  /** Global prune of expired window rows every this many polls (default 60). */
  pruneEvery?: number;
  /** An attempt's lease (default 60 s: longer than a platform call with its client retries). */
  leaseMs?: number;
}

type Db = pg.PoolClient;
const MS = `* interval '1 millisecond'`;

interface HeadRow {
  stale: boolean;
  id: string;
  reply: boolean;
  version: number;
  payload: OutgoingMessage;
  attempts: number;
  age_ms: number;
  wait_ms: number;
  busy: boolean;
}

export class PgOutboxLedger implements OutboxLedger {
  readonly pollMs: number;
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private polls = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgOutboxLedgerOptions,
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  async enqueue(msg: OutgoingMessage): Promise<void> {
    const reply = msg.inReplyTo !== undefined;
    const key = reply ? null : (msg.cardKey ?? null);
    await withTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [OUTBOX_LOCK_NAMESPACE, msg.to]);
      // A dead older state of this card is superseded by the new one.
      if (key) await c.query(`DELETE FROM outbox WHERE chat = $1 AND coalesce_key = $2 AND state = 'dead' AND NOT reply`, [msg.to, key]);
      await c.query(
        `INSERT INTO outbox (chat, lane, platform, reply, coalesce_key, payload) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
         ON CONFLICT (chat, coalesce_key) WHERE state <> 'dead' AND NOT reply
         DO UPDATE SET payload = EXCLUDED.payload, version = outbox.version + 1`,
        [msg.to, laneOf(msg), platformOf(msg.to), reply, key, JSON.stringify(msg)],
      );
    });
  }

  async claimDue(chat?: ChatAddress): Promise<{ claims: Claim[]; retryInMs?: number }> {
    if (chat !== undefined) return this.claimChat(chat);
    if (++this.polls % (this.options.pruneEvery ?? 60) === 0) {
      await this.pool.query(`DELETE FROM chat_sends WHERE sent_at <= clock_timestamp() - $1 ${MS}`, [this.windowMs]);
    }
    // The poll is the safety net for orphaned work only (a replica that stopped or died; scale-out.md
    // §0 flow 6): a lane some replica is working through right now is left to it, else the poll would
    // take heads over from a sender mid-lane. Orphaned = lease expired, or due and untouched for staleMs.
    const staleMs = this.pollMs * 5;
    const { rows } = await this.pool.query<{ chat: string }>(
      `SELECT DISTINCT chat FROM outbox
       WHERE (state = 'pending' AND greatest(not_before, queued_at) <= clock_timestamp() - $1 ${MS}) OR (state = 'sending' AND lease_until < clock_timestamp())`,
      [staleMs],
    );
    const claims: Claim[] = [];
    for (const r of rows) claims.push(...(await this.claimChat(r.chat, staleMs)).claims);
    return { claims };
  }

  /** `staleMs` (the poll): only heads idle that long, in a chat with no attempt for that long. */
  private claimChat(chat: ChatAddress, staleMs?: number): Promise<{ claims: Claim[]; retryInMs?: number }> {
    return withTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [OUTBOX_LOCK_NAMESPACE, chat]);
      await c.query(`DELETE FROM chat_sends WHERE chat = $1 AND sent_at <= clock_timestamp() - $2 ${MS}`, [chat, this.windowMs]);
      const heads = await c.query<HeadRow>(
        `SELECT DISTINCT ON (lane) id::text, reply, version, payload, attempts,
                (extract(epoch FROM clock_timestamp() - queued_at) * 1000)::float8 AS age_ms,
                CASE WHEN not_before <= clock_timestamp() THEN 0
                     ELSE extract(epoch FROM not_before - clock_timestamp()) * 1000 END::float8 AS wait_ms,
                (state = 'sending' AND lease_until >= clock_timestamp()) AS busy,
                (state = 'sending' OR greatest(not_before, queued_at) <= clock_timestamp() - $2 ${MS}) AS stale
         FROM outbox WHERE chat = $1 AND state <> 'dead' ORDER BY lane, outbox.id`,
        [chat, staleMs ?? 0],
      );
      if (staleMs !== undefined) {
        const recent = await c.query(`SELECT 1 FROM chat_sends WHERE chat = $1 AND sent_at > clock_timestamp() - $2 ${MS} LIMIT 1`, [chat, staleMs]);
        if (recent.rowCount) return { claims: [] };
      }
      let sent = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM chat_sends WHERE chat = $1', [chat])).rows[0]!.n;
      const claims: Claim[] = [];
      let retryInMs: number | undefined;
      const later = (ms: number) => (retryInMs = Math.max(0, Math.min(retryInMs ?? Infinity, Math.ceil(ms))));
      for (const h of heads.rows) {
        if (h.busy) continue; // in flight elsewhere; settling it looks at the lane again
        if (staleMs !== undefined && !h.stale) continue;
        if (h.wait_ms > 0) {
          later(h.wait_ms);
          continue;
        }
        if (!h.reply) {
          if (sent >= this.options.budgetPerMinute) {
            later(await this.windowFreesIn(c, chat));
            continue;
          }
          await c.query('INSERT INTO chat_sends (chat) VALUES ($1)', [chat]);
          sent++;
        }
        await c.query(`UPDATE outbox SET state = 'sending', lease_until = clock_timestamp() + $2 ${MS} WHERE id = $1`, [h.id, this.leaseMs]);
        claims.push({ id: h.id, version: h.version, msg: h.payload, attempts: h.attempts, ageMs: h.age_ms });
      }
      return retryInMs === undefined ? { claims } : { claims, retryInMs };
    });
  }

  async settle(claim: Claim, how: Settlement): Promise<Settled> {
    if (how.kind === 'sent') {
      const del = await this.pool.query(`DELETE FROM outbox WHERE id = $1 AND version = $2 AND state = 'sending'`, [claim.id, claim.version]);
      if (del.rowCount) return 'sent';
      const again = await this.pool.query(
        `UPDATE outbox SET state = 'pending', lease_until = NULL, attempts = 0, not_before = '-infinity', hold_until = NULL WHERE id = $1 AND state = 'sending'`,
        [claim.id],
      );
      return again.rowCount ? 'resend' : 'gone';
    }
    if (how.kind === 'retry') {
      const r = await this.pool.query(
        `UPDATE outbox SET state = 'pending', lease_until = NULL, attempts = attempts + 1, last_error = $2,
                not_before = clock_timestamp() + $3 ${MS}, hold_until = clock_timestamp() + $4 ${MS} WHERE id = $1 AND state = 'sending'`,
        [claim.id, how.error, how.inMs, how.holdMs ?? null],
      );
      return r.rowCount ? 'retried' : 'gone';
    }
    const r = await this.pool.query(
      `UPDATE outbox SET state = 'dead', lease_until = NULL, attempts = attempts + 1, last_error = $2, dead_reason = $3
       WHERE id = $1 AND state = 'sending'`,
      [claim.id, how.error, how.reason],
    );
    return r.rowCount ? 'dead' : 'gone';
  }

  /** Rows in flight are leased: a dead replica's attempt becomes claimable when its lease ends. */
  async recover(): Promise<number> {
    const r = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state <> 'dead'`);
    return r.rows[0]!.n;
  }

  async list(o: { limit?: number } = {}): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query<{
      id: string; chat: string; platform: string; state: 'pending' | 'sending' | 'dead'; attempts: number; card_key: string | null;
      reply: boolean; last_error: string | null; dead_reason: 'permanent' | 'budget' | null; queued_at: number;
    }>(
      `SELECT id::text, chat, platform, state, attempts, coalesce(coalesce_key, payload->>'cardKey') AS card_key, reply, last_error,
              dead_reason, (extract(epoch FROM queued_at) * 1000)::float8 AS queued_at
       FROM outbox ORDER BY outbox.id LIMIT $1`,
      [o.limit ?? 500],
    );
    return rows.map((r) => ({
      id: r.id,
      chat: r.chat,
      platform: r.platform,
      state: r.state === 'pending' ? 'queued' : r.state,
      attempts: r.attempts,
      reply: r.reply,
      queuedAt: Math.round(r.queued_at),
      ...(r.card_key ? { cardKey: r.card_key } : {}),
      ...(r.last_error ? { lastError: r.last_error } : {}),
      ...(r.dead_reason ? { deadReason: r.dead_reason } : {}),
    }));
  }

  async retryDead(chat?: ChatAddress): Promise<number> {
    const r = await this.pool.query(
      `UPDATE outbox SET state = 'pending', attempts = 0, not_before = '-infinity', hold_until = NULL, queued_at = clock_timestamp(), dead_reason = NULL
       WHERE state = 'dead' AND ($1::text IS NULL OR chat = $1)`,
      [chat ?? null],
    );
    return r.rowCount ?? 0;
  }

  /** The rows of `platform` in our own backoff and past any platform hold; one statement, so a row in flight ('sending') is never touched. */
  async wake(platform: string): Promise<number> {
    const r = await this.pool.query(
      `UPDATE outbox SET not_before = '-infinity'
        WHERE platform = $1 AND state = 'pending' AND not_before > clock_timestamp() AND (hold_until IS NULL OR hold_until <= clock_timestamp())`,
      [platform],
    );
    return r.rowCount ?? 0;
  }

  async counts(): Promise<{ platform: string; queued: number; dead: number }[]> {
    const { rows } = await this.pool.query<{ platform: string; queued: number; dead: number }>(
      `SELECT platform, count(*) FILTER (WHERE state <> 'dead')::int AS queued, count(*) FILTER (WHERE state = 'dead')::int AS dead
       FROM outbox GROUP BY platform`,
    );
    return rows;
  }

  /** ms until the chat's oldest slot in the window expires (0 when the window is empty). */
  private async windowFreesIn(c: Db, chat: ChatAddress): Promise<number> {
    const r = await c.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(sent_at) + $2 ${MS} - clock_timestamp()) * 1000)::float8 AS ms FROM chat_sends WHERE chat = $1`,
      [chat, this.windowMs],
    );
    return Math.max(0, Math.ceil(r.rows[0]?.ms ?? 0));
  }
}
