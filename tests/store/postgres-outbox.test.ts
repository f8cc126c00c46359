// Issue 9 §5 "per-chat budget shared": three outboxes (one per replica, each with its own PostgresStore
// and adapter) on one database spend one chat's budget together, park the rest with cardKey coalescing,
// and hand each parked message out exactly once when the window frees. The window is shortened to 2 s.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { text, type OutgoingMessage } from '../../src/core/message.ts';
import { ChatOutbox } from '../../src/core/outbox.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { PgOutboxLedger } from '../../src/store/postgres/outbox-ledger.ts';
import { usePostgres } from '../helpers/pg.ts';

const pgc = usePostgres();
const WINDOW_MS = 2000;
const BUDGET = 20;
const open: { outbox: ChatOutbox; store: PostgresStore }[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) {
    r.outbox.stop();
    await r.store.close();
  }
});

/** A CaptureAdapter that also records into one list shared by the replicas: the order messages went out in. */
class SharedCapture extends CaptureAdapter {
  constructor(private readonly all: OutgoingMessage[]) {
    super();
  }
  override async send(msg: OutgoingMessage): Promise<void> {
    this.all.push(msg);
    await super.send(msg);
  }
}

async function replicas(n: number, url: string) {
  const out = [];
  const all: OutgoingMessage[] = [];
  for (let i = 0; i < n; i++) {
    const store = new PostgresStore({ url, poolSize: 4 });
    await store.init();
    const ledger = new PgOutboxLedger(store.pool, { budgetPerMinute: BUDGET, windowMs: WINDOW_MS, pollMs: 200 });
    const outbox = new ChatOutbox(pino({ level: 'silent' }), { budgetPerMinute: BUDGET, ledger });
    const adapter = new SharedCapture(all);
    outbox.register(adapter);
    open.push({ outbox, store });
    out.push({ outbox, store, adapter, all });
  }
  return out;
}

const push = (to: string, t: string, cardKey?: string): OutgoingMessage => ({ to, reply: text(t), ...(cardKey ? { cardKey } : {}) });
/** Texts sent to `to` by these replicas, in the order they went out (across replicas). */
const texts = (rs: { adapter: CaptureAdapter; all: OutgoingMessage[] }[], to = 'test:g') =>
  rs[0]!.all
    .filter((m) => m.to === to && rs.some((r) => r.adapter.sent.includes(m)))
    .map((m) => (m.reply.kind === 'text' ? m.reply.text : '?'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 10_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await sleep(50);
  }
}
const parked = async (store: PostgresStore) => Number((await store.pool.query('SELECT count(*) AS n FROM outbox')).rows[0].n);

describe('per-chat budget shared across replicas (PostgreSQL)', () => {
  it('30 concurrent messages to one chat through 3 replicas: exactly 20 go out in the window, 10 are parked, then each goes out once', async () => {
    const rs = await replicas(3, await pgc.current.freshDatabase());
    await Promise.all(Array.from({ length: 30 }, (_, i) => rs[i % 3]!.outbox.send(push('test:g', `m${i}`))));
    expect(texts(rs)).toHaveLength(BUDGET);
    expect(await parked(rs[0]!.store)).toBe(10);
    // Shared, not per replica: each replica was handed only 10, so a budget of its own would have let all
    // 30 out. Which replicas win the 20 slots is a race (one replica may have all 10 of its own parked),
    // so how many each sent is not asserted (it was, and failed once in CI with a replica that sent none).
    expect(rs.map((r) => r.adapter.sent.length).reduce((a, b) => a + b, 0)).toBe(BUDGET);

    await sleep(WINDOW_MS / 4);
    expect(texts(rs)).toHaveLength(BUDGET);
    await until(() => texts(rs).length >= 30);
    await sleep(WINDOW_MS / 2); // several poll rounds on every replica: nothing is sent twice
    const all = texts(rs);
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
    expect(await parked(rs[0]!.store)).toBe(0);
  });

  it('parked updates of the same card coalesce into the newest, whichever replica parked them', async () => {
    const rs = await replicas(2, await pgc.current.freshDatabase());
    for (let i = 0; i < BUDGET; i++) await rs[i % 2]!.outbox.send(push('test:g', `fill${i}`));
    for (let i = 1; i <= 10; i++) await rs[i % 2]!.outbox.send(push('test:g', `alert count ${i}`, 'alert:1'));
    await rs[0]!.outbox.send(push('test:g', 'plain'));
    await rs[1]!.outbox.send(push('test:g', 'alert count 11', 'alert:1'));
    // the same cardKey in another chat is another card (coalescing is per chat, as in memory)
    for (let i = 0; i < BUDGET; i++) await rs[0]!.outbox.send(push('test:h', `h${i}`));
    await rs[0]!.outbox.send(push('test:h', 'other chat alert', 'alert:1'));
    expect(await parked(rs[0]!.store)).toBe(3);

    await until(() => texts(rs).length >= BUDGET + 2 && texts(rs, 'test:h').length >= BUDGET + 1);
    await sleep(WINDOW_MS / 2);
    // the card keeps its queue position (ahead of 'plain') and carries the newest text
    expect(texts(rs).slice(BUDGET)).toEqual(['alert count 11', 'plain']);
    expect(rs[0]!.all.find((m) => m.to === 'test:g' && m.cardKey === 'alert:1')?.reply).toEqual(text('alert count 11'));
    expect(texts(rs, 'test:h').at(-1)).toBe('other chat alert');
  });

  it('a reply to a message is never held, even with the budget spent and messages parked', async () => {
    const rs = await replicas(2, await pgc.current.freshDatabase());
    await Promise.all(Array.from({ length: 25 }, (_, i) => rs[i % 2]!.outbox.send(push('test:g', `m${i}`))));
    expect(texts(rs)).toHaveLength(BUDGET);
    const before = rs[1]!.adapter.sent.length;
    await rs[1]!.outbox.send({ ...push('test:g', 'the answer'), inReplyTo: CaptureAdapter.message('/status', { chat: 'g' }) });
    expect(rs[1]!.adapter.sent).toHaveLength(before + 1);
    expect(rs[1]!.adapter.sent.at(-1)!.reply).toEqual(text('the answer'));
    expect(await parked(rs[0]!.store)).toBe(5);
  });

  it('messages parked by a replica that stopped are sent by another replica', async () => {
    const rs = await replicas(2, await pgc.current.freshDatabase());
    for (let i = 0; i < BUDGET + 3; i++) await rs[0]!.outbox.send(push('test:g', `m${i}`));
    rs[0]!.outbox.stop(); // replica A goes away with 3 messages parked
    expect(rs[0]!.adapter.sent).toHaveLength(BUDGET);
    await until(() => rs[1]!.adapter.sent.length >= 3);
    await sleep(500);
    expect(texts([rs[1]!])).toEqual(['m20', 'm21', 'm22']);
    expect(rs[0]!.adapter.sent).toHaveLength(BUDGET);
  });

  it('createOpsbot on postgres wires the shared ledger (config budget, 60 s window) and stops cleanly', async () => {
    const url = await pgc.current.freshDatabase();
    const { config } = loadConfig({ file: 'r.yaml', text: `chat: { console: false, budgetPerMinute: 5 }\nstorage: { driver: postgres, url: "${url}" }\n`, env: {} });
    const bots: Opsbot[] = [];
    const all: OutgoingMessage[] = [];
    for (let i = 0; i < 2; i++) {
      const store = new PostgresStore({ url });
      await store.init();
      bots.push(await createOpsbot({ config, log: pino({ level: 'silent' }), store, adapters: [new SharedCapture(all)] }));
    }
    await Promise.all(Array.from({ length: 8 }, (_, i) => bots[i % 2]!.outbox.send(push('test:g', `m${i}`))));
    expect(all).toHaveLength(5);
    const probe = new PostgresStore({ url });
    expect(await parked(probe)).toBe(3);
    await probe.close();
    for (const b of bots) await b.stop();
  });
});
