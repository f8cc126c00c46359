/**
 * Timers across replicas on a real PostgreSQL (src/store/postgres/timers.ts; issue 9 §3: escalation
 * timers run exactly once): several PgTimers on one database, each with its own PostgresStore (as
 * separate processes would), and two Sentry alert engines sharing one database escalating an
 * unacknowledged paging alert exactly once per level.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/events.ts';
import type { OutgoingMessage } from '../../src/core/message.ts';
import type { SentryEventPayload } from '../../src/sources/sentry/map.ts';
import { registerSentryReactions, type SentryReactions } from '../../src/sources/sentry/reactions.ts';
import { PgTimers } from '../../src/store/postgres/timers.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';
import { botConfig, peopleOf, sentryConfig } from '../sources/sentry/helpers.ts';

const cluster = usePostgres();
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await sleep(50);
  }
}

/** One "process": its own pool and its own PgTimers (started after handlers are registered). */
async function replica(url: string, name: string) {
  const store = new PostgresStore({ url, poolSize: 4 });
  await store.init();
  const timers = new PgTimers({ pool: store.pool, log, owner: name, pollMs: 50, reapMs: 500 });
  cleanup.push(async () => {
    await timers.stop();
    await store.close();
  });
  return { store, timers };
}

describe('PgTimers across replicas', () => {
  it('every timer fires exactly once across three replicas, even when all of them schedule it', async () => {
    const url = await cluster.current.freshDatabase();
    const rs = [await replica(url, 'a'), await replica(url, 'b'), await replica(url, 'c')];
    const fired: { by: string; key: string; payload: unknown }[] = [];
    rs.forEach((r, i) => r.timers.on('ping', async (payload, key) => void fired.push({ by: 'abc'[i]!, key, payload })));
    for (const r of rs) await r.timers.start();
    const at = Date.now() + 300;
    for (let k = 0; k < 30; k++) for (const r of rs) await r.timers.schedule({ kind: 'ping', key: `ping:${k}`, at: at + (k % 5) * 20, payload: { k } });
    await until(() => fired.length >= 30);
    await sleep(1000);
    expect(fired).toHaveLength(30);
    expect(new Set(fired.map((f) => f.key)).size).toBe(30);
    expect(fired.find((f) => f.key === 'ping:7')!.payload).toEqual({ k: 7 });
    // one succeeded task per key: no duplicates hidden behind the dedupe
    const { rows } = await rs[0]!.store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM task_queue WHERE kind = 'timer:ping' AND state = 'succeeded'`);
    expect(rows[0]!.n).toBe('30');
  });

  it('a cancelled timer never fires on any replica', async () => {
    const url = await cluster.current.freshDatabase();
    const [a, b] = [await replica(url, 'a'), await replica(url, 'b')];
    const fired: string[] = [];
    for (const r of [a, b]) {
      r.timers.on('ping', async (_p, key) => void fired.push(key));
      await r.timers.start();
    }
    await a.timers.schedule({ kind: 'ping', key: 'cancel-me', at: Date.now() + 400 });
    await a.timers.schedule({ kind: 'ping', key: 'keep-me', at: Date.now() + 400 });
    await b.timers.cancel('cancel-me');
    await sleep(1200);
    expect(fired).toEqual(['keep-me']);
    // A cancelled key is spent: scheduling it again does nothing.
    await a.timers.schedule({ kind: 'ping', key: 'cancel-me', at: Date.now() });
    await sleep(400);
    expect(fired).toEqual(['keep-me']);
  });

  it('a throwing handler fails the attempt and the queue retries it with backoff', async () => {
    const url = await cluster.current.freshDatabase();
    const a = await replica(url, 'a');
    let calls = 0;
    a.timers.on('flaky', async () => {
      if (++calls === 1) throw new Error('chat down');
    });
    await a.timers.start();
    await a.timers.schedule({ kind: 'flaky', key: 'flaky:1', at: Date.now() });
    await until(() => calls >= 2, 8000); // backoff 2^1 s
    await sleep(300);
    const { rows } = await a.store.pool.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM task_queue WHERE dedupe_key = 'flaky:1'`);
    expect(rows[0]).toEqual({ state: 'succeeded', attempts: 2 });
    expect(calls).toBe(2);
  });
});

describe('Sentry escalation on two replicas', () => {
  it('an unacknowledged paging alert escalates exactly once per level; ack on the other replica stops it', async () => {
    const url = await cluster.current.freshDatabase();
    const sent: (OutgoingMessage & { by: string })[] = [];
    // 0.01 min = 600 ms between levels (escalation.afterMinutes takes fractions).
    const sentry = sentryConfig({ escalation: { afterMinutes: 0.01, to: 'test:oncall', chain: ['carol'] } });
    const replicas: { name: string; r: SentryReactions; store: PostgresStore }[] = [];
    for (const name of ['a', 'b']) {
      const { store, timers } = await replica(url, name);
      const outbox = { send: async (m: OutgoingMessage) => void sent.push({ ...m, by: name }) };
      const events = new EventBus((err) => {
        throw err;
      });
      const r = registerSentryReactions({ config: botConfig(), store, events, outbox, log, locale: 'en', clock: Date.now, timers, people: peopleOf(botConfig()) }, { sentry, tickMs: 0 });
      cleanup.push(async () => r.stop());
      await timers.start();
      replicas.push({ name, r, store });
    }
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    const payload: SentryEventPayload = {
      resource: 'event_alert',
      action: 'triggered',
      actor: { type: 'application', id: 'sentry', name: 'Sentry' },
      issue: { issueId: '900', projectSlug: 'demo-web', title: 'Boom', level: 'error', environment: 'prod' },
    };
    // The delivery is processed on one replica (the delivery queue's claim); its escalations go wherever.
    await a.r.alerts.onAlert(payload, 'd-1');
    const escalations = () => sent.filter((m) => m.to === 'test:oncall');
    await until(() => escalations().length >= 3, 10_000);
    await b.r.alerts.change('900', (s) => void (s.status = 'acked'));
    const atAck = (await b.r.alerts.states.get('900'))!.escalations;
    await sleep(1500);
    const cards = escalations();
    expect(cards.length).toBe(atAck);
    // one card per level, levels 1..n in order, nothing twice
    expect(cards.map((m) => m.cardKey)).toEqual(Array.from({ length: atAck }, (_, i) => `sentry:escalation:900:${i + 1}`));
    expect(cards[0]!.mentions).toEqual(['alice', 'bob', 'carol']);
    // the first post went out once too, from the replica that processed the delivery
    expect(sent.filter((m) => m.to === 'dingtalk:cid-pay' && m.mentions).map((m) => m.by)).toEqual(['a']);
    // one timer task per level (+ the cancelled next one), none run twice
    const { rows } = await a.store.pool.query<{ dedupe_key: string; state: string; attempts: number }>(
      `SELECT dedupe_key, state, attempts FROM task_queue WHERE kind = 'timer:sentry.escalate' ORDER BY id`,
    );
    expect(rows.filter((r) => r.state === 'succeeded')).toHaveLength(atAck);
    expect(rows.every((r) => r.attempts <= 1)).toBe(true);
    expect(rows.at(-1)!.state).toBe('cancelled');
  });
});

describe('periodic jobs across replicas', () => {
  it('every() runs each slot exactly once across three replicas, and prune() deletes old finished rows', async () => {
    const { every } = await import('../../src/core/periodic.ts');
    const url = await cluster.current.freshDatabase();
    const rs = [await replica(url, 'a'), await replica(url, 'b'), await replica(url, 'c')];
    const runs: { by: string; slot: number }[] = [];
    const jobs = rs.map((r, i) => every(r.timers, 'tick', 300, async () => void runs.push({ by: 'abc'[i]!, slot: Math.round(Date.now() / 300) })));
    for (const r of rs) await r.timers.start();
    for (const j of jobs) await j.arm();
    await sleep(2000);
    // ~6 slots in 2 s; each ran once (no slot twice), whichever replica claimed it.
    expect(runs.length).toBeGreaterThanOrEqual(4);
    const { rows } = await rs[0]!.store.pool.query<{ dedupe_key: string; n: string }>(
      `SELECT dedupe_key, count(*) AS n FROM task_queue WHERE kind = 'timer:every:tick' GROUP BY dedupe_key HAVING count(*) > 1`,
    );
    expect(rows).toEqual([]);
    const done = await rs[0]!.store.pool.query(`SELECT count(*)::int AS n FROM task_queue WHERE kind = 'timer:every:tick' AND state = 'succeeded'`);
    expect(done.rows[0].n).toBe(runs.length);
    for (const r of rs) await r.timers.stop();
    // Housekeeping: finished rows older than the cut-off go; queued ones stay.
    await rs[0]!.store.pool.query(`UPDATE task_queue SET finished_at = now() - interval '8 days' WHERE state = 'succeeded'`);
    const deleted = await rs[0]!.timers.queue.prune(7 * 24 * 3_600_000);
    expect(deleted).toBe(runs.length);
    const left = await rs[0]!.store.pool.query(`SELECT state FROM task_queue`);
    expect(left.rows.every((r: { state: string }) => r.state === 'queued')).toBe(true);
  }, 30_000);
});
