/**
 * 1. Webhook ingest: signed Sentry deliveries (unique event ids, so none dedupe) through the real bot in a
 * child process (createOpsbot, lowdb in a temp dir, console off), verified + persisted + acknowledged, at
 * 1/10/50 connections, against a bare Koa app in the same run. Then the same with 100 000 deliveries
 * already stored. After each bot run the child is SIGKILLed and the data dir is read back: every
 * delivery acknowledged with a 2xx must be on disk.
 */
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { LowdbStore } from '../src/store/lowdb-store.ts';
import type { StoredDelivery } from '../src/core/deliveries.ts';
import { botYaml } from './lib/config.ts';
import { spawnNode, stopChild, type Child } from './lib/proc.ts';
import { eventAlertBody, eventId, FIXTURE_CLIENT_SECRET, sentryHeaders, storedIdFor } from './lib/sentry.ts';
import { int, ms, ratio, table } from './lib/table.ts';

export interface IngestOptions {
  durationSec: number;
  connections: number[];
  prefill: number;
  /** Write CPU profiles of the bot child to this dir (node --cpu-prof). */
  profileDir?: string;
}

interface Run {
  target: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
}

async function startChild(args: string[], nodeFlags: string[] = []): Promise<{ child: Child; port: number }> {
  const child = spawnNode([...nodeFlags, '--import', 'tsx', 'bench/lib/server-child.ts', ...args]);
  const m = await child.waitFor(/LISTENING (\d+)/, 120_000);
  return { child, port: Number(m[1]) };
}

let runSeq = 0;
/** One autocannon run; every request gets a fresh event id and its own HMAC. */
async function load(port: number, connections: number, durationSec: number, marker: string): Promise<Omit<Run, 'target'>> {
  let n = 0;
  const run = `${marker}${(++runSeq).toString(16).padStart(2, '0')}`;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: durationSec,
    timeout: 20,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/sentry',
        setupRequest: (req) => {
          const body = eventAlertBody(eventId(run, n++));
          return { ...req, body, headers: sentryHeaders(body, FIXTURE_CLIENT_SECRET) };
        },
      },
    ],
  });
  return {
    connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Writes `n` processed deliveries straight into deliveries.json (the lowdb driver's file format). */
async function prefill(dataDir: string, n: number): Promise<void> {
  const out = createWriteStream(path.join(dataDir, 'deliveries.json'));
  out.write('{"collections":{"deliveries":[');
  const t = Date.now() - n;
  for (let i = 0; i < n; i++) {
    const body = eventAlertBody(eventId('f0', i));
    const id = storedIdFor(body);
    const d: StoredDelivery = {
      id, source: 'sentry', kind: 'event_alert.triggered', dedupeKey: id.slice('sentry:'.length),
      headers: { 'content-type': 'application/json', 'sentry-hook-resource': 'event_alert' },
      body, receivedAt: t + i, status: 'processed', attempts: 1,
    };
    if (!out.write((i ? ',' : '') + JSON.stringify([id, d, t + i]))) await once(out, 'drain');
  }
  out.end(']},"sequences":{}}');
  await once(out, 'finish');
}

/** Deliveries on disk (all, and those of this scenario's marker). */
async function onDisk(dataDir: string, marker: string): Promise<{ total: number; ours: number }> {
  const store = new LowdbStore(dataDir);
  await store.init();
  const all = await store.collection<StoredDelivery>('deliveries', { tier: 'bulk' }).list();
  // eventId(run, n) left-pads `${marker}${seq}${n:16 hex}` (20 chars) with 12 zeros.
  const ours = all.filter((d) => d.id.includes(`:000000000000${marker}`)).length;
  await store.close();
  return { total: all.length, ours };
}

interface Scenario { label: string; prefill: number; retention: number; marker: string }

export async function benchIngest(o: IngestOptions): Promise<string> {
  const rows: Run[] = [];
  const notes: string[] = [];

  const koa = await startChild(['koa']);
  for (const c of o.connections) rows.push({ target: 'bare Koa (200)', ...(await load(koa.port, c, o.durationSec, 'b0')) });
  await stopChild(koa.child);

  const scenarios: Scenario[] = [
    { label: 'opsbot, empty store', prefill: 0, retention: 1_000_000, marker: 'a1' },
    { label: `opsbot, ${int(o.prefill)} stored (retention ${int(o.prefill * 2)})`, prefill: o.prefill, retention: o.prefill * 2, marker: 'a2' },
    { label: `opsbot, ${int(o.prefill)} pre-filled, default retention 5 000`, prefill: o.prefill, retention: 5000, marker: 'a3' },
  ];
  for (const s of scenarios) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'opsbot-bench-'));
    if (s.prefill) await prefill(dataDir, s.prefill);
    const cfg = path.join(dataDir, 'bench.yaml');
    writeFileSync(cfg, botYaml({ dataDir, clientSecret: FIXTURE_CLIENT_SECRET, retention: s.retention }));
    const flags = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [];
    const bot = await startChild(['bot', cfg], flags);
    let acked = 0;
    const first = rows.length;
    for (const c of o.connections) {
      const r = await load(bot.port, c, o.durationSec, s.marker);
      acked += r.ok2xx;
      rows.push({ target: s.label, ...r });
    }
    // SIGKILL: what was acknowledged must already be on disk, not merely flushed at a clean stop.
    await stopChild(bot.child, o.profileDir ? 'SIGTERM' : 'SIGKILL', 60_000);
    const disk = await onDisk(dataDir, s.marker);
    const failed = rows.slice(first).reduce((a, r) => a + r.non2xx + r.errors, 0);
    const expectOnDisk = Math.min(acked, s.retention);
    notes.push(
      `- ${s.label}: ${int(acked)} acknowledged (2xx), ${int(failed)} non-2xx/errors; after SIGKILL ${int(disk.ours)} of them on disk ` +
        `(${disk.ours >= expectOnDisk ? 'OK' : 'MISSING ' + int(expectOnDisk - disk.ours)}); deliveries.json holds ${int(disk.total)} in total` +
        (s.prefill ? ` (pre-filled ${int(s.prefill)}, retention ${int(s.retention)})` : ''),
    );
  }

  const koaBy = new Map(rows.filter((r) => r.target.startsWith('bare')).map((r) => [r.connections, r]));
  const t = table(
    ['target', 'conns', 'req/s', 'p50 ms', 'p99 ms', '× bare Koa req/s', '2xx', 'non-2xx+err'],
    rows.map((r) => [r.target, r.connections, int(r.rps), ms(r.p50), ms(r.p99), ratio(r.rps, koaBy.get(r.connections)?.rps ?? 0), int(r.ok2xx), int(r.non2xx + r.errors)]),
  );
  const at50 = rows.find((r) => r.target === scenarios[0]!.label && r.connections === 50);
  const at10 = rows.find((r) => r.target === scenarios[0]!.label && r.connections === 10);
  const goals = [
    at50 ? `- Goal ≥ 0.5× bare Koa at 50 connections (empty store): ${ratio(at50.rps, koaBy.get(50)?.rps ?? 0)} → ${at50.rps >= 0.5 * (koaBy.get(50)?.rps ?? Infinity) ? 'met' : 'MISSED'}` : '',
    at10 ? `- Goal p99 < 20 ms at 10 connections (empty store): ${ms(at10.p99)} ms → ${at10.p99 < 20 ? 'met' : 'MISSED'}` : '',
  ].filter(Boolean);
  return [`### Webhook ingest (signed Sentry event_alert, ${o.durationSec} s per row, autocannon)`, '', t, '', ...goals, ...notes].join('\n');
}
