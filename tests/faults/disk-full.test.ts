/**
 * Disk full, for both drivers: while storage refuses writes every delivery gets 503 (the sender retries)
 * and nothing that got a 2xx is lost; after recovery the refused deliveries are accepted, each processed
 * once. lowdb: injected ENOSPC, and a real full tmpfs where mounting one is permitted (root); PostgreSQL:
 * a database switched to `default_transaction_read_only` (its sessions terminated so the pool picks the
 * setting up), then switched back.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { eventAlertBody, eventId, sentryHeaders } from '../../bench/lib/sentry.ts';
import { LowdbStore } from '../../src/store/lowdb-store.ts';
import { SwitchableFaults } from '../../src/store/write-faults.ts';
import { usePostgres } from '../helpers/pg.ts';
import { allSourcesYaml, post, readDeliveries, SECRETS, startInProcess, tempDir, type InProcessBot } from './helpers.ts';

let bot: InProcessBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

const N = 60;
const bodies = (run: string) => Array.from({ length: N }, (_, i) => eventAlertBody(eventId(run, i)));
const send = (b: InProcessBot, body: string) => post(`${b.url}/webhooks/sentry`, body, sentryHeaders(body, SECRETS.sentryClientSecret));
const idOf = (body: string) => (JSON.parse(body) as { data: { event: { event_id: string } } }).data.event.event_id;

/** Sends every body (8 at a time), returns the status of each. */
async function sendAll(b: InProcessBot, all: string[], during?: (i: number) => void): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < all.length; i += 8) {
    during?.(i);
    const r = await Promise.all(all.slice(i, i + 8).map((x) => send(b, x)));
    statuses.push(...r.map((x) => x.status));
  }
  return statuses;
}

/** Every stored delivery processed exactly once; the event ids stored. */
async function processedOnce(dataDir: string): Promise<Set<string>> {
  const stored = await readDeliveries(dataDir);
  expect(stored.map((d) => [d.status, d.attempts]).filter(([s, a]) => s !== 'processed' || a !== 1)).toEqual([]);
  return new Set(stored.map((d) => idOf(d.body)));
}

/** Acceptance, the same for both drivers: 2xx ⊆ stored; after recovery every refused one is accepted as new. */
async function checkRecovery(b: InProcessBot, all: string[], statuses: number[], label: string): Promise<void> {
  console.log(`disk-full ${label}: ${statuses.filter((s) => s === 200).length} × 200, ${statuses.filter((s) => s === 503).length} × 503 while failing; refused ones re-sent after recovery`);
  expect(new Set(statuses)).toEqual(new Set([200, 503]));
  const refused = all.filter((_, i) => statuses[i] === 503);
  for (const body of refused) {
    const r = await send(b, body);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ ok: true, duplicate: false });
  }
}

describe('disk full: lowdb', () => {
  it('injected ENOSPC mid-stream: 503 while failing, every 2xx on disk, refused ones accepted and processed once after recovery', async () => {
    const faults = new SwitchableFaults();
    bot = await startInProcess((dataDir) => allSourcesYaml({ dataDir }), { store: async (dir) => { const s = new LowdbStore(dir, { faults }); await s.init(); return s; } });
    const all = bodies('e1');
    const statuses = await sendAll(bot, all, (i) => { faults.failing = i >= 16 && i < 40; });
    faults.failing = false;
    await checkRecovery(bot, all, statuses, 'lowdb injected ENOSPC');
    await expect.poll(async () => (await bot!.opsbot.deliveries.collection.list({ filter: (d) => d.status !== 'processed' })).length, { timeout: 20_000 }).toBe(0);
    const dataDir = bot.dataDir;
    await bot.stop();
    bot = undefined;
    expect([...(await processedOnce(dataDir))].sort()).toEqual(all.map(idOf).sort());
  });

  const canMount = (() => {
    const probe = tempDir('opsbot-tmpfs-probe-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
      execFileSync('umount', [probe], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!canMount)('a real full tmpfs (ENOSPC from the kernel): 503, nothing acknowledged lost, accepted once space is back', async () => {
    const mnt = tempDir('opsbot-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    try {
      const dataDir = path.join(mnt, 'data');
      mkdirSync(dataDir);
      bot = await startInProcess((d) => allSourcesYaml({ dataDir: d }), { dataDir });
      // Leave about 150 KB: the journal (a few KB per delivery) runs into the end of the disk.
      const filler = path.join(mnt, 'filler');
      writeFileSync(filler, Buffer.alloc(1024 * 1024 - 150 * 1024 - 64 * 1024));
      const all = bodies('t1');
      const statuses = await sendAll(bot, all);
      // /healthz may already read ok here: a full disk still takes small writes (the probe), not a delivery.
      expect(statuses).toContain(503);
      const acked = all.filter((_, i) => statuses[i] === 200).map(idOf);
      rmSync(filler);
      await checkRecovery(bot, all, statuses, 'lowdb tmpfs 1 MiB');
      await expect.poll(async () => (await bot!.opsbot.deliveries.collection.list({ filter: (d) => d.status !== 'processed' })).length, { timeout: 20_000 }).toBe(0);
      await bot.stop();
      bot = undefined;
      const stored = await processedOnce(dataDir);
      for (const id of acked) expect(stored.has(id)).toBe(true);
      expect(stored.size).toBe(N);
    } finally {
      await bot?.stop();
      bot = undefined;
      execFileSync('umount', ['-l', mnt]);
    }
  });
});

describe('disk full: PostgreSQL (database refuses writes)', () => {
  const cluster = usePostgres();

  async function setReadOnly(url: string, on: boolean): Promise<void> {
    const db = new URL(url).pathname.slice(1);
    const c = new pg.Client({ connectionString: cluster.current.url });
    await c.connect();
    try {
      await c.query(`ALTER DATABASE ${db} ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`);
      // The setting applies to new sessions: end the bot's pooled ones so the pool reconnects with it.
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
    } finally {
      await c.end();
    }
  }

  it('read-only database: 503 + degraded, every 2xx stored, refused ones accepted and processed once after recovery', async () => {
    const url = await cluster.current.freshDatabase();
    bot = await startInProcess((dataDir) => allSourcesYaml({ dataDir }).replace(/storage: \{[^}]*\}/, `storage: { driver: postgres, url: "${url}", leaseSeconds: 2 }`));
    const all = bodies('p1');
    const statuses = await sendAll(bot, all.slice(0, 16));
    await setReadOnly(url, true);
    statuses.push(...(await sendAll(bot, all.slice(16, 40))));
    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', storage: 'failing' });
    await setReadOnly(url, false);
    statuses.push(...(await sendAll(bot, all.slice(40))));
    expect(statuses.slice(16, 40).every((s) => s === 503)).toBe(true);
    await checkRecovery(bot, all, statuses, 'postgres read-only');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await expect
        .poll(async () => (await c.query(`SELECT count(*)::int AS n FROM documents WHERE collection = 'deliveries' AND doc->>'status' = 'processed' AND (doc->>'attempts')::int = 1`)).rows[0].n, { timeout: 30_000, interval: 250 })
        .toBe(N);
      const total = (await c.query(`SELECT count(*)::int AS n FROM documents WHERE collection = 'deliveries'`)).rows[0].n;
      expect(total).toBe(N);
    } finally {
      await c.end();
    }
  });
});
