/**
 * SIGKILL during batched ingest on PostgreSQL (issue 22 "Done when"): the bot (a real `node --import tsx
 * src/main.ts` on a throwaway PostgreSQL cluster) takes 1 000 signed Sentry deliveries over 32
 * connections, so they commit in shared batches (src/store/postgres/group-commit.ts), and is killed
 * mid-way. Every delivery answered 2xx must be in the table with its processing task: a 2xx waits for
 * the commit that holds its row, so no acknowledged row can be in a batch that never committed.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { botYaml } from '../../bench/lib/config.ts';
import { stopChild, type Child } from '../../bench/lib/proc.ts';
import { FIXTURE_CLIENT_SECRET } from '../../bench/lib/sentry.ts';
import { usePostgres } from '../helpers/pg.ts';
import { freePort, ingestUntilKilled, startChild, tempDir } from './helpers.ts';

const cluster = usePostgres();
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c, 'SIGKILL');
});

describe('crash during batched ingest (PostgreSQL)', () => {
  it('SIGKILL mid-ingest of 1 000 deliveries over 32 connections: every 2xx is committed with its task', async () => {
    const url = await cluster.current.freshDatabase();
    const dataDir = tempDir();
    const port = await freePort();
    const yaml = botYaml({ dataDir, port, clientSecret: FIXTURE_CLIENT_SECRET, retention: 10_000, logLevel: 'warn', driver: 'postgres', storageUrl: url });
    const bot = await startChild(yaml, dataDir, port);
    children.push(bot);

    const { acked, failed, killedAt } = await ingestUntilKilled({ port, bot, total: 1000, connections: 32, killAfter: 400, marker: 'd0' });
    expect(killedAt).toBeGreaterThanOrEqual(400);
    expect(failed.length).toBeGreaterThan(0); // in flight at the kill, or refused after it
    expect(failed.every((f) => f.endsWith('connection error'))).toBe(true);

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const docs = await c.query<{ key: string }>(`SELECT key FROM documents WHERE collection = 'deliveries'`);
      const stored = new Set(docs.rows.map((r) => r.key));
      expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
      const tasks = await c.query<{ key: string }>(`SELECT payload->>'id' AS key FROM task_queue WHERE kind = 'process_webhook'`);
      const withTask = new Set(tasks.rows.map((r) => r.key));
      expect([...acked].filter((id) => !withTask.has(id))).toEqual([]);
      // Nothing half-written either: every stored delivery has its task (one statement per batch).
      expect([...stored].filter((id) => !withTask.has(id))).toEqual([]);
    } finally {
      await c.end();
    }
  });
});
