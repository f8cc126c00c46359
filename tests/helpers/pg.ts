/**
 * A real, throwaway PostgreSQL for a test file: scripts/pg-cluster.sh starts one cluster per file in
 * beforeAll (installing Debian's `postgresql` first if it is missing, so these tests are never skipped)
 * and stops it in afterAll. `freshDatabase()` gives each test its own empty database.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/pg-cluster.sh');

export interface PgCluster {
  /** URL of the cluster's `postgres` database. */
  url: string;
  dir: string;
  /** Creates an empty database and returns its URL. */
  freshDatabase(): Promise<string>;
}

let counter = 0;

/** Whether Debian's PostgreSQL binaries are present (else pg-cluster.sh installs them first). */
function installed(): boolean {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
}

/** Starts a cluster (apt-get installs PostgreSQL if needed; can take a while on a fresh machine). */
export async function startCluster(): Promise<PgCluster & { stop(): Promise<void> }> {
  const { stdout, stderr } = await run(SCRIPT, ['start'], { timeout: 300_000 });
  const url = stdout.trim().split('\n').pop()!;
  const dir = /pg-cluster: (\S+)/.exec(stderr)?.[1];
  if (!url.startsWith('postgres://') || !dir) throw new Error(`pg-cluster.sh start: unexpected output\n${stdout}\n${stderr}`);
  return {
    url,
    dir,
    async freshDatabase() {
      const name = `t_${process.pid}_${++counter}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name} TEMPLATE template0`);
      } finally {
        await c.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      await run(SCRIPT, ['stop', dir], { timeout: 60_000 });
    },
  };
}

/** Registers beforeAll/afterAll for the calling test file; read `.current` inside tests. */
export function usePostgres(): { current: PgCluster } {
  const holder = {} as { current: PgCluster };
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const c = await startCluster();
    stop = c.stop;
    holder.current = c;
  }, installed() ? 60_000 : 300_000); // apt-get install on a machine without PostgreSQL takes longer
  afterAll(async () => {
    await stop?.();
  }, 60_000);
  return holder;
}
