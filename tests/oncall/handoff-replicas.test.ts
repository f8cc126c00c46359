// Two replicas on one PostgreSQL (PgTimers, src/store/postgres/timers.ts), each arming the same handoff:
// the card goes out exactly once. The handoff is placed a few minutes before real time (PgTimers measure
// the delay with the wall clock), the one after it a day later, so exactly one is due during the test.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PgTimers } from '../../src/store/postgres/timers.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';
import { handoffSetup, handoffYaml } from './handoff-helpers.ts';

const cluster = usePostgres();
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

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

describe('handoff card across replicas', () => {
  it('is posted once although both replicas arm the handoff', async () => {
    const url = await cluster.current.freshDatabase();
    const handoffAt = Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000;
    const d = new Date(handoffAt);
    const hhmm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const start = new Date(handoffAt - 7 * 86_400_000).toISOString().slice(0, 10);
    // Both replicas' clocks read just before the handoff when they arm it.
    let t = handoffAt - 1000;
    const clock = () => t;
    const yaml = handoffYaml(hhmm, start);
    const rs = [await replica(url, 'a'), await replica(url, 'b')];
    const setups = rs.map((r) => handoffSetup({ yaml, store: r.store, timers: r.timers, clock }));
    for (const s of setups) await s.jobs.arm();
    t = handoffAt + 1000;
    for (const r of rs) await r.timers.start();
    const t0 = Date.now();
    while (setups.reduce((n, s) => n + s.sent.length, 0) < 1 && Date.now() - t0 < 20_000) await sleep(50);
    await sleep(1500); // time for a duplicate, if there were one
    const sent = setups.flatMap((s) => s.sent);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe('test:team');
    const { rows } = await rs[0]!.store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM task_queue WHERE kind = 'timer:oncall:handoff'`);
    // the handoff that fired and the next one, armed by whichever replica ran it
    expect(rows[0]!.n).toBe('2');
  });
});
