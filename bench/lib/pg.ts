/**
 * A throwaway PostgreSQL for the ingest bench (scripts/pg-cluster.sh, the same cluster the store tests
 * use: server defaults, fsync on), a fresh database per scenario, a bulk pre-fill, and a read-back count.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { PROJECT_ROOT } from './proc.ts';

const run = promisify(execFile);
const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'pg-cluster.sh');

export interface PgCluster { url: string; dir: string; stop(): Promise<void> }

export async function startPg(): Promise<PgCluster> {
  const { stdout, stderr } = await run(SCRIPT, ['start'], { timeout: 120_000 });
  const url = stdout.trim().split('\n').pop()!;
  const dir = /pg-cluster: (\S+)/.exec(stderr)?.[1];
  if (!url.startsWith('postgres://') || !dir) throw new Error(`pg-cluster.sh start: unexpected output\n${stdout}\n${stderr}`);
  return { url, dir, stop: async () => void (await run(SCRIPT, ['stop', dir], { timeout: 60_000 })) };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new empty database, migrated by the store itself. */
export async function freshDb(clusterUrl: string, name: string): Promise<string> {
  await withClient(clusterUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const url = clusterUrl.replace(/\/postgres$/, `/${name}`);
  const store = new PostgresStore({ url });
  await store.init();
  await store.close();
  return url;
}

/** Drops a database made by freshDb (its URL), with whatever is still connected to it. */
export async function dropDb(clusterUrl: string, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await withClient(clusterUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(decodeURIComponent(name))} WITH (FORCE)`));
}

/**
 * `n` processed deliveries in one INSERT … SELECT (doc = `template` with its id replaced), then VACUUM
 * (ANALYZE) as a table in use for a while would have had: otherwise the autovacuum launcher (naptime 1 min)
 * finds 100 000 freshly inserted rows over its insert threshold and vacuums them during the rows measured.
 */
export async function prefillPg(url: string, n: number, template: Record<string, unknown>): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO documents (collection, key, doc)
       SELECT 'deliveries', 'sentry:metric_alert:critical:prefill:' || g,
              jsonb_set($1::jsonb, '{id}', to_jsonb('sentry:metric_alert:critical:prefill:' || g))
       FROM generate_series(1, $2::int) g`,
      [JSON.stringify(template), n],
    );
    await c.query('VACUUM (ANALYZE) documents');
    // Written out now, not by a checkpoint during the rows measured (VACUUM dirtied every page it set hint bits on).
    await c.query('CHECKPOINT');
  });
}

/** Stored deliveries: all, and those whose id contains `needle`. */
export async function countPg(url: string, needle: string): Promise<{ total: number; ours: number }> {
  return withClient(url, async (c) => {
    const r = await c.query<{ total: string; ours: string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE key LIKE '%' || $1 || '%') AS ours FROM documents WHERE collection = 'deliveries'`,
      [needle],
    );
    return { total: Number(r.rows[0]!.total), ours: Number(r.rows[0]!.ours) };
  });
}
