// The embedded Timers (src/core/timers.ts): persisted in the store's hot `timers` collection, fired by
// one loop; a fake clock and runDue() drive them here, one test uses the real loop.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoreTimers, type StoredTimer } from '../../src/core/timers.ts';
import { LowdbStore } from '../../src/store/lowdb-store.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { Store } from '../../src/store/types.ts';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 23, 12);

function make(store: Store = new MemoryStore(), now = { t: T0 }, retryDelaysMs?: number[]) {
  const timers = new StoreTimers({ store, log, clock: () => now.t, pollMs: 0, ...(retryDelaysMs ? { retryDelaysMs } : {}) });
  const fired: { payload: unknown; key: string }[] = [];
  timers.on('ping', async (payload, key) => void fired.push({ payload, key }));
  return { timers, fired, now, store };
}

describe('StoreTimers', () => {
  it('fires at its time, not before, and once', async () => {
    const { timers, fired, now } = make();
    await timers.schedule({ kind: 'ping', key: 'k1', at: T0 + 60_000, payload: { n: 1 } });
    now.t = T0 + 59_999;
    expect(await timers.runDue()).toBe(0);
    now.t = T0 + 60_000;
    expect(await timers.runDue()).toBe(1);
    now.t += 3_600_000;
    await timers.runDue();
    expect(fired).toEqual([{ payload: { n: 1 }, key: 'k1' }]);
  });

  it('fires due timers in order of their time', async () => {
    const { timers, fired, now } = make();
    await timers.schedule({ kind: 'ping', key: 'late', at: T0 + 2 });
    await timers.schedule({ kind: 'ping', key: 'early', at: T0 + 1 });
    now.t = T0 + 10;
    await timers.runDue();
    expect(fired.map((f) => f.key)).toEqual(['early', 'late']);
  });

  it('a cancelled timer never fires', async () => {
    const { timers, fired, now } = make();
    await timers.schedule({ kind: 'ping', key: 'k2', at: T0 + 1000 });
    await timers.cancel('k2');
    await timers.cancel('unknown'); // no-op
    now.t += 10_000;
    await timers.runDue();
    expect(fired).toEqual([]);
  });

  it('schedule is idempotent on the key, also after the timer fired or was cancelled', async () => {
    const { timers, fired, now } = make();
    await timers.schedule({ kind: 'ping', key: 'k3', at: T0 + 10, payload: 'first' });
    await timers.schedule({ kind: 'ping', key: 'k3', at: T0 + 5, payload: 'second' });
    now.t += 20;
    await timers.runDue();
    await timers.schedule({ kind: 'ping', key: 'k3', at: T0, payload: 'third' });
    await timers.schedule({ kind: 'ping', key: 'k4', at: T0 + 10 });
    await timers.cancel('k4');
    await timers.schedule({ kind: 'ping', key: 'k4', at: T0 + 10 });
    now.t += 20;
    await timers.runDue();
    expect(fired).toEqual([{ payload: 'first', key: 'k3' }]);
  });

  it('survives a restart: a timer due while the bot was down fires at start (lowdb on disk)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opsbot-timers-'));
    const now = { t: T0 };
    const s1 = new LowdbStore(dir);
    await s1.init();
    const a = make(s1, now);
    await a.timers.schedule({ kind: 'ping', key: 'restart', at: T0 + 60_000, payload: { alert: 'x' } });
    await a.timers.stop();
    await s1.close();
    now.t = T0 + 5 * 60_000; // "down" past the due time
    const s2 = new LowdbStore(dir);
    await s2.init();
    const b = make(s2, now);
    await b.timers.start();
    await b.timers.stop();
    expect(b.fired).toEqual([{ payload: { alert: 'x' }, key: 'restart' }]);
    await s2.close();
  });

  it('a throwing handler is retried with backoff, then dropped with a log line', async () => {
    const now = { t: T0 };
    const lines: string[] = [];
    const store = new MemoryStore();
    const logged = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const timers = new StoreTimers({ store, log: logged, clock: () => now.t, pollMs: 0, retryDelaysMs: [1000, 5000] });
    let calls = 0;
    timers.on('flaky', async () => {
      calls++;
      throw new Error('chat down');
    });
    let okCalls = 0;
    timers.on('recovers', async () => {
      if (++okCalls < 2) throw new Error('once');
    });
    await timers.schedule({ kind: 'flaky', key: 'f', at: T0 });
    await timers.schedule({ kind: 'recovers', key: 'r', at: T0 });
    await timers.runDue();
    expect([calls, okCalls]).toEqual([1, 1]);
    now.t += 999;
    await timers.runDue();
    expect([calls, okCalls]).toEqual([1, 1]); // backoff not over
    now.t += 1;
    await timers.runDue();
    expect([calls, okCalls]).toEqual([2, 2]); // 'recovers' succeeded on its retry
    now.t += 5000;
    await timers.runDue();
    expect(calls).toBe(3);
    now.t += 3_600_000;
    await timers.runDue();
    expect([calls, okCalls]).toEqual([3, 2]); // dropped after the last retry
    const col = store.collection<StoredTimer>('timers', { tier: 'hot' });
    expect((await col.get('f'))!.state).toBe('dropped');
    expect((await col.get('r'))!.state).toBe('done');
    expect(lines.some((l) => l.includes('timer dropped') && l.includes('"key":"f"'))).toBe(true);
  });

  it('the real loop fires a timer with the real clock', async () => {
    const timers = new StoreTimers({ store: new MemoryStore(), log, pollMs: 20 });
    const fired: string[] = [];
    timers.on('ping', async (_p, key) => void fired.push(key));
    await timers.start();
    await timers.schedule({ kind: 'ping', key: 'soon', at: Date.now() + 50 });
    await new Promise((r) => setTimeout(r, 300));
    await timers.stop();
    expect(fired).toEqual(['soon']);
  });
});
