/**
 * A full data directory (injected ENOSPC on every durable write) while a signed Sentry delivery arrives:
 * 503 with a reason (nothing stored, so the sender retries), /healthz and /metrics say so, the retry is
 * refused again rather than called a duplicate, and once space is back the same bytes are accepted,
 * processed once and still there after a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventAlertBody, eventId, sentryHeaders } from '../../bench/lib/sentry.ts';
import { LowdbStore } from '../../src/store/lowdb-store.ts';
import { SwitchableFaults } from '../../src/store/write-faults.ts';
import { allSourcesYaml, post, readDeliveries, SECRETS, startInProcess, type InProcessBot } from '../faults/helpers.ts';

let bot: InProcessBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('disk full (lowdb, injected ENOSPC)', () => {
  it('503 + degraded while writes fail; the same delivery is new once space is back, processed once, kept over a restart', async () => {
    const faults = new SwitchableFaults();
    bot = await startInProcess((dataDir) => allSourcesYaml({ dataDir }), {
      store: async (dir) => {
        const s = new LowdbStore(dir, { faults });
        await s.init();
        return s;
      },
    });
    const url = `${bot.url}/webhooks/sentry`;
    const body = eventAlertBody(eventId('df', 1));
    const headers = sentryHeaders(body, SECRETS.sentryClientSecret);

    faults.failing = true;
    const first = await post(url, body, headers);
    expect(first.status).toBe(503);
    expect(JSON.parse(first.text)).toMatchObject({ error: expect.stringMatching(/storage unavailable: .*ENOSPC/) });
    const retry = await post(url, body, headers);
    expect(retry.status).toBe(503);
    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', storage: 'failing' });
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metric(metrics, 'opsbot_storage_write_failures_total')).toBeGreaterThanOrEqual(2);
    expect(metric(metrics, 'opsbot_storage_healthy')).toBe(0);
    expect(await bot.opsbot.deliveries.collection.count()).toBe(0);

    faults.failing = false;
    await new Promise((r) => setTimeout(r, 1001)); // the health probe runs at most once a second
    const healed = await fetch(`${bot.url}/healthz`);
    expect(healed.status).toBe(200);
    expect(await healed.json()).toEqual({ status: 'ok' });
    expect(metric(await (await fetch(`${bot.url}/metrics`)).text(), 'opsbot_storage_healthy')).toBe(1);

    const accepted = await post(url, body, headers);
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.text)).toEqual({ ok: true, duplicate: false });
    expect(JSON.parse((await post(url, body, headers)).text)).toEqual({ ok: true, duplicate: true });
    await bot.opsbot.deliveries.idle();
    await expect.poll(() => bot!.adapter.sent.length).toBe(1);
    const dataDir = bot.dataDir;
    await bot.stop();
    bot = undefined;
    expect((await readDeliveries(dataDir)).map((d) => [d.status, d.attempts])).toEqual([['processed', 1]]);
  });
});
