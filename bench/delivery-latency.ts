/**
 * 5. Delivery latency (issue 15): a signed Sentry alert acknowledged with 2xx → the first byte of the chat
 * request that shows it, p50 and p99, at 50 alerts/s for 5 issues, with and without a 60 s outage of
 * the chat API. The bot is a real child process (`node --import tsx src/main.ts`, lowdb, DingTalk Stream
 * mode against the fake gateway + OpenAPI of tests/helpers/fake-dingtalk-api.ts, which stamps each request
 * on arrival). "Shows it": the first interactive card create or update for that alert's issue whose
 * event count reaches the alert's ordinal within the issue. The per-chat budget (20/min) and the
 * refresh interval are part of what is measured: that is the latency a person sees.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeDingtalk, type SentDingtalk } from '../tests/helpers/fake-dingtalk-api.ts';
import { botYaml, freePort, waitForStatus } from './lib/config.ts';
import { spawnNode, stopChild } from './lib/proc.ts';
import { eventAlertBody, eventId, FIXTURE_CLIENT_SECRET, sentryHeaders } from './lib/sentry.ts';
import { int, ms, percentile, table } from './lib/table.ts';

const CHAT = 'dingtalk:cidPayTeam';
const FIXTURE_ISSUE = '1117540176';
const ISSUES = ['7770001', '7770002', '7770003', '7770004', '7770005'];

interface Scenario { label: string; outage?: { fromSec: number; seconds: number } }

/** The highest event count a card request carries (card params or the update's). */
function countIn(r: SentDingtalk): number | undefined {
  const counts = [...JSON.stringify(r.body).matchAll(/(?:Events|count)[^0-9]{0,20}(\d+)/gi)].map((m) => Number(m[1]));
  return counts.length ? Math.max(...counts) : undefined;
}

async function run(s: Scenario, o: { rate: number; seconds: number; settleSec: number }): Promise<(string | number)[]> {
  const fake = await startFakeDingtalk();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'opsbot-latency-'));
  const port = await freePort();
  const yaml = botYaml({ dataDir, port, clientSecret: FIXTURE_CLIENT_SECRET, logLevel: 'warn', retention: 100_000, chat: `chat:\n  console: false\n  ${fake.chatYaml()}` })
    .replace('chats: ["test:pay"]', `chats: ["${CHAT}"]`);
  const file = path.join(dataDir, 'opsbot.yaml');
  writeFileSync(file, yaml);
  const child = spawnNode(['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, OPSBOT_CONFIG: file, PORT: String(port), OPSBOT_DATA_DIR: dataDir, NODE_ENV: 'production' }, stdin: 'ignore' });
  try {
    await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200, 60_000, 50);
    const acked: { issue: string; ordinal: number; at: number }[] = [];
    const ordinals = new Map(ISSUES.map((i) => [i, 0]));
    const total = o.rate * o.seconds;
    const t0 = Date.now();
    const inflight: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = t0 + (n * 1000) / o.rate;
      if (s.outage && due >= t0 + s.outage.fromSec * 1000 && !fake.api.fault && due < t0 + (s.outage.fromSec + s.outage.seconds) * 1000) fake.api.fault = { status: 503 };
      if (s.outage && fake.api.fault && due >= t0 + (s.outage.fromSec + s.outage.seconds) * 1000) fake.api.fault = undefined;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const issue = ISSUES[n % ISSUES.length]!;
      const ordinal = ordinals.get(issue)! + 1;
      ordinals.set(issue, ordinal);
      const body = eventAlertBody(eventId('1a', n)).split(FIXTURE_ISSUE).join(issue);
      inflight.push(
        fetch(`http://127.0.0.1:${port}/webhooks/sentry`, { method: 'POST', body, headers: sentryHeaders(body, FIXTURE_CLIENT_SECRET) }).then(async (r) => {
          await r.arrayBuffer();
          if (r.status === 200) acked.push({ issue, ordinal, at: Date.now() });
        }),
      );
    }
    await Promise.all(inflight);
    if (s.outage) fake.api.fault = undefined;
    await new Promise((r) => setTimeout(r, o.settleSec * 1000));
    // Which issue each card is: its create carries the issue id; updates name the card by outTrackId.
    const issueOfTrack = new Map<string, string>();
    const shown: { issue: string; count: number; at: number }[] = [];
    for (const r of fake.api.requests.filter((x) => x.chat === CHAT && (x.kind === 'card' || x.kind === 'card-update'))) {
      const track = String(r.body['outTrackId'] ?? '');
      if (r.kind === 'card') {
        const issue = ISSUES.find((i) => JSON.stringify(r.body).includes(i));
        if (issue) issueOfTrack.set(track, issue);
      }
      const issue = issueOfTrack.get(track);
      const count = countIn(r);
      if (issue && count !== undefined) shown.push({ issue, count, at: r.at });
    }
    const lat: number[] = [];
    let never = 0;
    for (const a of acked) {
      const first = shown.find((x) => x.issue === a.issue && x.count >= a.ordinal && x.at >= a.at - 5);
      if (first) lat.push(Math.max(0, first.at - a.at));
      else never++;
    }
    const messages = fake.api.requests.filter((x) => x.chat === CHAT).length;
    return [s.label, int(acked.length), int(messages), lat.length ? ms(percentile(lat, 50)) : '–', lat.length ? ms(percentile(lat, 99)) : '–', lat.length ? ms(Math.max(...lat)) : '–', int(never)];
  } finally {
    await stopChild(child, 'SIGTERM', 60_000);
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchDeliveryLatency(o: { rate: number; seconds: number; outageSeconds: number; settleSec: number }): Promise<string> {
  const scenarios: Scenario[] = [{ label: 'chat API up' }, { label: `chat API down ${o.outageSeconds} s from t = 5 s (503)`, outage: { fromSec: 5, seconds: o.outageSeconds } }];
  const rows: (string | number)[][] = [];
  for (const s of scenarios) rows.push(await run(s, { ...o, seconds: s.outage ? Math.max(o.seconds, o.outageSeconds + 10) : o.seconds }));
  return [
    `### Delivery latency (${o.rate} signed alerts/s for ${ISSUES.length} issues; webhook 2xx → first byte of the card request showing it)`,
    '',
    table(['scenario', 'alerts acknowledged', 'requests to the chat', 'p50 ms', 'p99 ms', 'max ms', 'never shown'], rows),
    '',
    `- One chat, budget 20 messages/min (chat.budgetPerMinute), cards refreshed at most every sentry.refreshSeconds (15 s): most alerts are shown by a later refresh of their issue's card, so the figures are dominated by the refresh interval and, in the outage row, by the outbox's retry backoff (chat.retryBaseMs 1 s doubling, capped at retryMaxMs).`,
    `- "never shown": acknowledged alerts no card request ever counted within ${o.settleSec} s after the last one (the goal is 0).`,
  ].join('\n');
}
