/**
 * The task queue across replicas (src/store/postgres/task-queue.ts) on a real PostgreSQL: one running
 * per lock key with per-key FIFO and no head-of-line blocking, leases with fencing, reaping of dead
 * workers (interrupted, never silently re-run), dedupe, timers, transactional enqueue.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/store/postgres/collection.ts';
import { PgTaskQueue, type TaskRow } from '../../src/store/postgres/task-queue.ts';
import { startTaskWorker } from '../../src/store/postgres/task-worker.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';

const cluster = usePostgres();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function replica(url: string, poolSize = 6): Promise<PostgresStore> {
  const s = new PostgresStore({ url, poolSize });
  await s.init();
  return s;
}

describe('postgres task queue', () => {
  it('200 deploys over 5 keys, 8 workers on 2 replicas: never two at once per key, per-key order kept', async () => {
    const url = await cluster.current.freshDatabase();
    const [a, b] = [await replica(url), await replica(url)];
    const qa = new PgTaskQueue(a.pool, 'replica-a');
    const keys = ['demo:prod', 'demo:test', 'web:prod', 'web:test', 'api:prod'];
    for (let i = 0; i < 200; i++) {
      const key = `deploy:${keys[i % 5]}`;
      await qa.enqueue({ kind: 'deploy', lockKey: key, payload: { i, key }, maxAttempts: 1 });
    }
    const running = new Map<string, number>();
    let maxRunning = 0;
    const order = new Map<string, number[]>();
    const worker = async (q: PgTaskQueue) => {
      for (let idle = 0; idle < 20; ) {
        const t = await q.claim(['deploy']);
        if (!t) { idle++; await sleep(20); continue; }
        idle = 0;
        const { i, key } = t.payload as { i: number; key: string };
        const n = (running.get(key) ?? 0) + 1;
        running.set(key, n);
        maxRunning = Math.max(maxRunning, n);
        order.set(key, [...(order.get(key) ?? []), i]);
        await sleep(Math.random() * 5);
        running.set(key, running.get(key)! - 1);
        expect(await q.complete(t)).toBe(true);
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(new PgTaskQueue((w % 2 ? a : b).pool, `r${w % 2}:w${w}`))));
    const ms = Date.now() - t0;
    expect(maxRunning).toBe(1);
    for (const [k, is] of order) {
      expect(is).toHaveLength(40);
      expect(is).toEqual([...is].sort((x, y) => x - y)); // FIFO per key
      expect(k).toMatch(/^deploy:/);
    }
    const done = await a.pool.query<{ n: string }>(`SELECT count(*) AS n FROM task_queue WHERE state = 'succeeded'`);
    expect(Number(done.rows[0]!.n)).toBe(200);
    expect(ms).toBeLessThan(60_000);
    await Promise.all([a.close(), b.close()]);
  }, 90_000);

  it('a busy key blocks only itself: the next key is claimable; the database refuses a second running row', async () => {
    const url = await cluster.current.freshDatabase();
    const s = await replica(url);
    const q1 = new PgTaskQueue(s.pool, 'w1');
    const q2 = new PgTaskQueue(s.pool, 'w2');
    const a1 = await q1.enqueue({ kind: 'deploy', lockKey: 'deploy:a', payload: { n: 'a1' } });
    await q1.enqueue({ kind: 'deploy', lockKey: 'deploy:a', payload: { n: 'a2' } });
    await q1.enqueue({ kind: 'deploy', lockKey: 'deploy:b', payload: { n: 'b1' } });
    const first = await q1.claim();
    expect(first?.id).toBe(a1.id);
    expect((await q2.claim())?.payload).toEqual({ n: 'b1' }); // not stuck behind a2
    expect(await q2.claim()).toBeUndefined(); // a2 waits for a1
    await expect(s.pool.query(`UPDATE task_queue SET state = 'running' WHERE payload->>'n' = 'a2'`)).rejects.toMatchObject({ code: '23505' });
    expect(await q1.complete(first!)).toBe(true);
    expect((await q2.claim())?.payload).toEqual({ n: 'a2' });
    await s.close();
  });

  it('a dead worker is reaped: a deploy (maxAttempts 1) is interrupted, never re-run; the stale owner is fenced out', async () => {
    const url = await cluster.current.freshDatabase();
    const s = await replica(url);
    const dead = new PgTaskQueue(s.pool, 'dead', 500);
    const alive = new PgTaskQueue(s.pool, 'alive', 500);
    await dead.enqueue({ kind: 'deploy', lockKey: 'deploy:x', maxAttempts: 1 });
    await dead.enqueue({ kind: 'webhook', maxAttempts: 3 });
    const d = (await dead.claim(['deploy']))!;
    const w = (await dead.claim(['webhook']))!;
    const kept = await alive.enqueue({ kind: 'job', maxAttempts: 1 });
    const k = (await alive.claim(['job']))!;
    expect(k.id).toBe(kept.id);
    expect(await alive.reap()).toEqual({ requeued: [], interrupted: [] }); // leases still valid
    const t0 = Date.now();
    for (;;) {
      await sleep(150);
      expect(await alive.heartbeat(k)).toBe(true); // the live worker keeps its lease
      const r = await alive.reap();
      if (r.interrupted.length || r.requeued.length) {
        expect(r.interrupted.map((t) => t.id)).toEqual([d.id]);
        expect(r.interrupted[0]!.lastError).toMatch(/interrupted/);
        expect(r.requeued.map((t) => t.id)).toEqual([w.id]);
        break;
      }
      expect(Date.now() - t0).toBeLessThan(5000);
    }
    expect(Date.now() - t0).toBeLessThan(2000); // lease 0.5 s + reap interval
    expect(await dead.complete(d)).toBe(false); // fenced: it no longer owns the task
    expect(await dead.heartbeat(w)).toBe(false);
    expect((await alive.get(d.id))?.state).toBe('failed');
    expect(await alive.claim(['deploy'])).toBeUndefined(); // the interrupted deploy is not re-run
    expect(await alive.complete(k)).toBe(true);
    await s.close();
  });

  it('dedupe keys, timers, cancel, fail with retry, and enqueue inside the ingest transaction', async () => {
    const url = await cluster.current.freshDatabase();
    const s = await replica(url);
    const q = new PgTaskQueue(s.pool, 'w');
    expect((await q.enqueue({ kind: 'cron', dedupeKey: 'cron:digest:2026-11-23T12' })).created).toBe(true);
    expect((await q.enqueue({ kind: 'cron', dedupeKey: 'cron:digest:2026-11-23T12' })).created).toBe(false);
    await q.enqueue({ kind: 'escalate', dedupeKey: 'escalate:al1:L2', delayMs: 60_000 });
    expect(await q.claim(['escalate'])).toBeUndefined(); // not due yet
    expect(await q.cancel('escalate:al1:L2')).toBe(true);
    const c = (await q.claim(['cron']))!;
    expect(await q.fail(c, 'boom')).toBe(true);
    const again = await q.get(c.id);
    expect(again).toMatchObject({ state: 'queued', attempts: 1, lastError: 'boom' });
    expect(again!.runAt.getTime()).toBeGreaterThan(Date.now() - 1000); // backoff pushes run_at out

    // §A.2: the delivery row and its task commit together, or neither does.
    const docs = s.collection('deliveries', { tier: 'bulk' });
    await expect(withTransaction(s.pool, async (tx) => {
      await tx.query(`INSERT INTO documents (collection, key, doc) VALUES ('deliveries', 'd1', '{}')`);
      await q.enqueue({ kind: 'process_webhook', dedupeKey: 'wh:sentry:d1' }, tx);
      throw new Error('crash before commit');
    })).rejects.toThrow(/crash/);
    expect(await docs.get('d1')).toBeUndefined();
    expect((await q.enqueue({ kind: 'process_webhook', dedupeKey: 'wh:sentry:d1' })).created).toBe(true);
    await s.close();
  });

  it('insertIfAbsentWithTask: the same delivery posted to two replicas at once is stored once with one task', async () => {
    const url = await cluster.current.freshDatabase();
    const [a, b] = [await replica(url), await replica(url)];
    const opts = { tier: 'bulk' as const, maxItems: 1000 };
    const post = (s: PostgresStore, id: string) =>
      s.insertIfAbsentWithTask('deliveries', opts, `sentry:${id}`, { body: id }, { kind: 'process_webhook', dedupeKey: `wh:sentry:${id}`, payload: { id } });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => Promise.all([post(a, `r${i}`), post(b, `r${i}`)])));
    for (const [x, y] of results) {
      expect(Number(x.inserted) + Number(y.inserted)).toBe(1);
      expect((x.taskId ?? y.taskId)).toBeDefined();
    }
    const tasks = await a.pool.query<{ n: string }>(`SELECT count(*) AS n FROM task_queue WHERE kind = 'process_webhook'`);
    expect(Number(tasks.rows[0]!.n)).toBe(50);
    expect(await b.collection('deliveries', opts).count()).toBe(50);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('task worker across processes', () => {
  it('a replica SIGKILLed mid-deploy: the survivor reports the deploy interrupted within seconds and runs the rest', async () => {
    const url = await cluster.current.freshDatabase();
    const s = await replica(url);
    const q = new PgTaskQueue(s.pool, 'survivor', 1000);
    const deploy = await q.enqueue({ kind: 'deploy', lockKey: 'deploy:demo:prod', payload: { n: 1 }, maxAttempts: 1 });
    await q.enqueue({ kind: 'deploy', lockKey: 'deploy:demo:prod', payload: { n: 2 }, maxAttempts: 1 });
    const root = path.resolve(import.meta.dirname, '../..');
    const code = `
      import pg from 'pg';
      import pino from 'pino';
      import { PgTaskQueue } from ${JSON.stringify(path.join(root, 'src/store/postgres/task-queue.ts'))};
      import { startTaskWorker } from ${JSON.stringify(path.join(root, 'src/store/postgres/task-worker.ts'))};
      const pool = new pg.Pool({ connectionString: ${JSON.stringify(url)} });
      startTaskWorker({ queue: new PgTaskQueue(pool, 'victim', 1000), concurrency: 1, pollMs: 50, reapMs: 0, log: pino({ level: 'silent' }),
        handle: async (t) => { console.log('started ' + t.id); await new Promise(() => {}); } });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; !out.includes(`started ${deploy.id}`); i++) {
        expect(i).toBeLessThan(300);
        await sleep(50);
      }
      await sleep(1500); // the child's heartbeats keep its lease alive past the 1 s TTL
      expect((await q.get(deploy.id!))?.state).toBe('running');
      child.kill('SIGKILL');
      const killedAt = Date.now();
      const interrupted: TaskRow[] = [];
      const ran: unknown[] = [];
      const w = startTaskWorker({
        queue: q, concurrency: 2, pollMs: 50, reapMs: 200, log: pino({ level: 'silent' }),
        handle: async (t) => { ran.push(t.payload); },
        onInterrupted: (t) => { interrupted.push(t); },
      });
      while (ran.length === 0) {
        expect(Date.now() - killedAt).toBeLessThan(5000);
        await sleep(25);
      }
      const detectMs = Date.now() - killedAt;
      await w.stop();
      expect(interrupted.map((t) => t.id)).toEqual([deploy.id]);
      expect(ran).toEqual([{ n: 2 }]); // the interrupted deploy is announced, not re-run; the next one runs
      expect(detectMs).toBeLessThan(3000); // lease 1 s + reap 0.2 s
    } finally {
      child.kill('SIGKILL');
      await s.close();
    }
  });
});
