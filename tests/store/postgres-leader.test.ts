/**
 * Leader election (src/store/leader.ts) on a real PostgreSQL: one leader among contenders; the leader's
 * session killed → another takes over within seconds; a frozen (SIGSTOP) leader process loses the lock
 * through idle_session_timeout; stop() hands over.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLeaderElection, type LeaderElection } from '../../src/store/leader.ts';
import { usePostgres } from '../helpers/pg.ts';

const cluster = usePostgres();
const log = pino({ level: 'silent' });

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - t0;
}

function elector(url: string, lockKey: string, events: string[], name: string): LeaderElection {
  return createLeaderElection({
    url, lockKey, log,
    retryMs: 200, pingMs: 300, idleSessionTimeoutMs: 2000,
    onElected: () => { events.push(`${name}:elected`); },
    onDemoted: () => { events.push(`${name}:demoted`); },
  });
}

/** Backend pids holding the advisory lock for `lockKey`. */
async function holders(url: string, lockKey: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objid = hashtext($1)::oid`, [lockKey]);
    return r.rows.map((x) => x.pid);
  } finally {
    await c.end();
  }
}

describe('leader election on a session advisory lock', () => {
  it('three contenders: exactly one leader; its session killed → another leads within seconds', async () => {
    const url = await cluster.current.freshDatabase();
    const events: string[] = [];
    const es = ['a', 'b', 'c'].map((n) => elector(url, 'dingtalk:app1', events, n));
    await Promise.all(es.map((e) => e.firstAttempt));
    await until(() => es.filter((e) => e.isLeader()).length === 1, 3000);
    const first = es.findIndex((e) => e.isLeader());
    expect(await holders(url, 'dingtalk:app1')).toHaveLength(1);

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const [pid] = await holders(url, 'dingtalk:app1');
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
    const took = await until(() => es.some((e, i) => i !== first && e.isLeader()), 5000);
    expect(took).toBeLessThan(5000);
    expect(es[first]!.isLeader()).toBe(false);
    expect(events).toContain(`${'abc'[first]}:demoted`);
    await until(() => es.filter((e) => e.isLeader()).length === 1, 2000);
    expect(es.filter((e) => e.isLeader())).toHaveLength(1);

    await Promise.all(es.map((e) => e.stop()));
    expect(es.some((e) => e.isLeader())).toBe(false);
    expect(await holders(url, 'dingtalk:app1')).toHaveLength(0);
  });

  it('stop() releases: the standby takes over; different keys have independent leaders', async () => {
    const url = await cluster.current.freshDatabase();
    const events: string[] = [];
    const a = elector(url, 'k', events, 'a');
    await a.firstAttempt;
    expect(a.isLeader()).toBe(true);
    const b = elector(url, 'k', events, 'b');
    const other = elector(url, 'other', events, 'o');
    await Promise.all([b.firstAttempt, other.firstAttempt]);
    expect(b.isLeader()).toBe(false);
    expect(other.isLeader()).toBe(true);
    await a.stop();
    expect(events).toContain('a:demoted');
    await until(() => b.isLeader(), 3000);
    await Promise.all([b.stop(), other.stop()]);
  });

  it('a frozen leader process (SIGSTOP) loses the lock through idle_session_timeout', async () => {
    const url = await cluster.current.freshDatabase();
    const leaderTs = path.resolve(import.meta.dirname, '../../src/store/leader.ts');
    const code = `
      import { createLeaderElection } from ${JSON.stringify(leaderTs)};
      import pino from 'pino';
      createLeaderElection({ url: ${JSON.stringify(url)}, lockKey: 'frozen', log: pino({ level: 'silent' }),
        retryMs: 200, pingMs: 300, idleSessionTimeoutMs: 1500,
        onElected: () => console.log('elected'), onDemoted: () => console.log('demoted') });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('elected'), 15_000);
      const events: string[] = [];
      const standby = elector(url, 'frozen', events, 's');
      await standby.firstAttempt;
      expect(standby.isLeader()).toBe(false);
      child.kill('SIGSTOP');
      const took = await until(() => standby.isLeader(), 8000);
      expect(took).toBeLessThan(8000); // ≈ idle_session_timeout (1.5 s) + retry
      child.kill('SIGCONT');
      await until(() => out.includes('demoted'), 5000); // the thawed process notices and steps down
      await standby.stop();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
