// Several replicas on one store (issue 9): a chat message acknowledged by a replica that died before
// answering is answered by exactly one other replica, and only once that replica must be dead.
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { Bot } from '../../src/core/bot.ts';
import { pino } from 'pino';
import { createTestBot } from '../helpers/test-bot.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

describe('taking over unanswered messages of another replica', () => {
  it('waits out the grace period, then exactly one replica answers', async () => {
    const t = await createTestBot();
    stops.push(t.stop);
    const { dispatcher, outbox } = t.opsbot;
    const replica = () => new Bot({ dispatcher, store: t.store, outbox, log: pino({ level: 'silent' }), clock: Date.now, takeoverAfterMs: 60_000 });
    const msg = CaptureAdapter.message('/help', { id: 'left-behind' });
    const seen = t.store.collection<{ at: number; status: string; msg?: unknown; owner?: string }>('chat-messages', { tier: 'bulk' });
    await seen.put('test:left-behind', { at: Date.now() - 5_000, status: 'pending', msg, owner: 'dead-replica' });

    const b = replica();
    const c = replica();
    expect(await b.recover()).toBe(0); // 5 s old: its replica may still be answering it
    expect(t.adapter.sent).toHaveLength(0);

    await seen.update('test:left-behind', (cur) => (cur ? { ...cur, at: Date.now() - 61_000 } : cur));
    const [nb, nc] = await Promise.all([b.recover(), c.recover()]);
    expect(nb + nc).toBe(1);
    await Promise.all([b.idle(), c.idle()]);
    expect(t.adapter.sent).toHaveLength(1);
    expect((await seen.get('test:left-behind'))?.status).toBe('done');
    // Nothing left to take over.
    expect((await b.recover()) + (await c.recover())).toBe(0);
  });
});
