// OutboxLedger.wake (outbox-ledger.ts) on both ledgers: the sends of one platform waiting out our
// backoff become due now; sends still inside the platform's own wait
// (holdMs: Retry-After, a throttle), sends in flight and other platforms are left alone.
import { describe, expect, it } from 'vitest';
import { text, type OutgoingMessage } from '../../src/core/message.ts';
import type { OutboxLedger } from '../../src/core/outbox-ledger.ts';
import { StoreOutboxLedger } from '../../src/core/outbox-store-ledger.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { PgOutboxLedger } from '../../src/store/postgres/outbox-ledger.ts';
import { usePostgres } from '../helpers/pg.ts';

const pgc = usePostgres();
const push = (to: string): OutgoingMessage => ({ to, reply: text(`to ${to}`) });

const CHATS = ['test:a', 'test:b', 'other:c', 'test:held'];

async function wakeContract(ledger: OutboxLedger): Promise<void> {
  for (const to of CHATS) await ledger.enqueue(push(to));
  // Chat by chat: the shared ledger's claimDue() without a chat only takes what a replica left behind.
  const claimDue = async () => {
    const claims = [];
    for (const to of CHATS) claims.push(...(await ledger.claimDue(to)).claims);
    return { claims };
  };
  const first = await claimDue();
  expect(first.claims.map((c) => c.msg.to).sort()).toEqual(['other:c', 'test:a', 'test:b', 'test:held']);
  const delay: Record<string, number> = { 'test:a': 60_000, 'test:b': 30_000, 'other:c': 30_000, 'test:held': 20_000 };
  for (const c of first.claims) {
    // test:held: the platform said 20 s (still running); test:a: it said 1 ms (over by the time we wake)
    const holdMs = c.msg.to === 'test:held' ? 20_000 : c.msg.to === 'test:a' ? 1 : undefined;
    await ledger.settle(c, { kind: 'retry', inMs: delay[c.msg.to]!, error: 'down', ...(holdMs !== undefined ? { holdMs } : {}) });
  }
  await new Promise((r) => setTimeout(r, 20));
  expect((await claimDue()).claims).toEqual([]);
  // ours of 'test': a and b (test:held at 20 s is inside the platform's wait, other:c is another platform)
  expect(await ledger.wake('test')).toBe(2);
  expect((await claimDue()).claims.map((c) => c.msg.to).sort()).toEqual(['test:a', 'test:b']);
  // a and b are in flight now, held stays held: nothing more to wake
  expect(await ledger.wake('test')).toBe(0);
  expect((await claimDue()).claims).toEqual([]);
  expect(await ledger.wake('other')).toBe(1);
  expect((await claimDue()).claims.map((c) => c.msg.to)).toEqual(['other:c']);
}

describe('OutboxLedger.wake', () => {
  it('StoreOutboxLedger (embedded)', async () => {
    await wakeContract(new StoreOutboxLedger({ budgetPerMinute: 20 }));
  });

  it('PgOutboxLedger (shared by replicas)', async () => {
    const store = new PostgresStore({ url: await pgc.current.freshDatabase(), poolSize: 2 });
    await store.init();
    try {
      await wakeContract(new PgOutboxLedger(store.pool, { budgetPerMinute: 20 }));
    } finally {
      await store.close();
    }
  });
});
