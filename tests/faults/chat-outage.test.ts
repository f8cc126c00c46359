/**
 * The team's chat API goes down in the middle of a burst of signed Sentry alerts, and the bot (a real
 * `node --import tsx src/main.ts`, lowdb) is SIGKILLed once during the outage and started again. After
 * recovery every alert is accounted for: the one card shows the full count, no card is created
 * twice, and the chat never gets more than 20 messages in any 60 s (chat.budgetPerMinute). Short retry
 * backoff (chat.retryBaseMs) keeps it to seconds; nothing here asserts a duration.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { botYaml } from '../../bench/lib/config.ts';
import { stopChild, type Child } from '../../bench/lib/proc.ts';
import { eventAlertBody, eventId, FIXTURE_CLIENT_SECRET, sentryHeaders } from '../../bench/lib/sentry.ts';
import { startFakeDingtalk, type FakeDingtalk, type FakeDingtalkApi } from '../helpers/fake-dingtalk-api.ts';
import { freePort, startChild, tempDir } from './helpers.ts';

const children: Child[] = [];
let api: FakeDingtalkApi | undefined;
let fake: FakeDingtalk | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c, 'SIGKILL');
  await fake?.close();
});

const CHAT = 'dingtalk:cidPayTeam';

async function deliver(port: number, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const body = eventAlertBody(eventId('0a', i));
    const r = await fetch(`http://127.0.0.1:${port}/webhooks/sentry`, { method: 'POST', body, headers: sentryHeaders(body, FIXTURE_CLIENT_SECRET) });
    await r.arrayBuffer();
    expect(r.status).toBe(200);
  }
}

/** The highest "count" any message to the chat carried (card create or update params). */
function lastCount(a: FakeDingtalkApi): number | undefined {
  const all = a.sentTo(CHAT).concat(a.requests.filter((r) => r.kind === 'card-update' && r.chat === CHAT));
  const counts = all.flatMap((r) => [...JSON.stringify(r.body).matchAll(/(?:Events|count)[^0-9]{0,20}(\d+)/gi)].map((m) => Number(m[1])));
  return counts.length ? Math.max(...counts) : undefined;
}

describe('chat outage during an alert burst', () => {
  it('API down mid-burst, bot SIGKILLed once during the outage: every alert accounted for, no card twice, ≤ 20/min', async () => {
    fake = await startFakeDingtalk();
    api = fake.api;
    const dataDir = tempDir();
    const port = await freePort();
    const chat = `chat:
  console: false
  retryBaseMs: 200
  retryMaxMs: 1000
  ${fake.chatYaml()}`;
    const yaml = botYaml({ dataDir, port, clientSecret: FIXTURE_CLIENT_SECRET, logLevel: 'warn', chat })
      .replace('chats: ["test:pay"]', `chats: ["${CHAT}"]`)
      .replace('appSlug: opsbot', 'appSlug: opsbot\n  refreshSeconds: 1');
    const first = await startChild(yaml, dataDir, port);
    children.push(first);

    await deliver(port, 0, 10);
    await expect.poll(() => api!.cardsTo(CHAT).length, { timeout: 20_000 }).toBe(1);
    api.fault = { status: 503 };
    await deliver(port, 10, 20);
    await new Promise((r) => setTimeout(r, 1500)); // a few failed attempts while down
    first.proc.kill('SIGKILL');
    await first.exited;

    const port2 = await freePort();
    const second = await startChild(yaml.replace(`port: ${port}`, `port: ${port2}`), dataDir, port2);
    children.push(second);
    await deliver(port2, 30, 10);
    api.fault = undefined;

    await expect.poll(() => lastCount(api!), { timeout: 30_000, interval: 250 }).toBe(40);
    await new Promise((r) => setTimeout(r, 1500)); // nothing else trickles in
    expect(api.cardsTo(CHAT)).toHaveLength(1);
    const times = api.sentTo(CHAT).map((r) => r.at).concat(api.requests.filter((r) => r.kind === 'card-update' && r.chat === CHAT).map((r) => r.at)).sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 60_000).length).toBeLessThanOrEqual(20);
    await stopChild(second, 'SIGTERM');
  });
});
