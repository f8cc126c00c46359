// Two bot replicas on one PostgreSQL (issue 9): a delivery is stored and processed once whichever
// replica gets it, and a delivery acknowledged by a replica that stops before processing it is
// processed by the other one.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsbot, type Opsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { StoredDelivery } from '../../src/core/deliveries.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { usePostgres } from '../helpers/pg.ts';

const pgc = usePostgres();
const SECRET = 'replica-test-secret';
const body = readFileSync(new URL('../fixtures/sentry/sentry-event-alert-triggered.json', import.meta.url), 'utf8');
const running: Opsbot[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop().catch(() => {});
});

async function replica(url: string, processed: string[]) {
  const yaml = `chat: { console: false }\nstorage: { driver: postgres, url: "${url}" }\nsentry: { org: acme, authToken: replica-test-auth-token, clientSecret: ${SECRET} }\n`;
  const { config } = loadConfig({ file: 'r.yaml', text: yaml, env: {} });
  const store = new PostgresStore({ url });
  await store.init();
  const bot = await createOpsbot({ config, log: pino({ level: 'silent' }), store });
  bot.deliveries.onProcess('sentry', async (d) => void processed.push(d.id));
  const server = await bot.start({ port: 0, host: '127.0.0.1' });
  running.push(bot);
  return { bot, store, base: `http://127.0.0.1:${(server!.address() as AddressInfo).port}` };
}

const post = (base: string) =>
  fetch(`${base}/webhooks/sentry`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'sentry-hook-resource': 'event_alert',
      'sentry-hook-timestamp': String(Math.floor(Date.now() / 1000)),
      'sentry-hook-signature': createHmac('sha256', SECRET).update(body).digest('hex'),
    },
  });

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('two replicas on one PostgreSQL', () => {
  it('the same delivery sent to both replicas, concurrently, is stored once and processed once', async () => {
    const url = await pgc.current.freshDatabase();
    const processed: string[] = [];
    const a = await replica(url, processed);
    const b = await replica(url, processed);
    const statuses = await Promise.all([post(a.base), post(b.base), post(a.base), post(b.base), post(a.base)].map((p) => p.then((r) => r.status)));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    await until(() => processed.length >= 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(processed).toHaveLength(1);
    const rows = await a.store.collection<StoredDelivery>('deliveries', { tier: 'bulk' }).list();
    expect(rows).toHaveLength(1);
  });

  it('a delivery acknowledged by a replica that stopped before processing is processed by the other', async () => {
    const url = await pgc.current.freshDatabase();
    const processedA: string[] = [];
    const a = await replica(url, processedA);
    await a.bot.deliveries.stop(); // replica A stops claiming (as if it died right after the 2xx)
    expect((await post(a.base)).status).toBe(200);
    const processedB: string[] = [];
    await replica(url, processedB);
    await until(() => processedB.length === 1);
    expect(processedA).toEqual([]);
    const [row] = await a.store.collection<StoredDelivery>('deliveries', { tier: 'bulk' }).list();
    await until(async () => (await a.store.collection<StoredDelivery>('deliveries', { tier: 'bulk' }).get(row!.id))?.status === 'processed');
  });
});
