/**
 * A private, real Prometheus Alertmanager (Debian `prometheus-alertmanager` 0.25, installed by .ci/run)
 * on 127.0.0.1: random port, temp storage, no gossip cluster (`--cluster.listen-address=` empty), and a
 * generated config whose only receiver is a webhook (alerting-and-engines.md §1, verified flags and
 * config). Readiness: `GET /-/ready` answers 200 (Alertmanager's web/api readiness endpoint).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

/** A port free right now on 127.0.0.1 (Alertmanager takes a fixed listen address, not port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RealAlertmanager {
  url: string;
  /** POST /api/v2/alerts (api/v2/openapi.yaml `postableAlerts`). */
  postAlerts(alerts: { labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; endsAt?: string; generatorURL?: string }[]): Promise<void>;
  get<T>(path: string): Promise<T>;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(o: {
  port: number;
  webhookUrl: string;
  token: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}): Promise<RealAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-am-'));
  const config = `
route:
  receiver: opsbot
  group_by: ['alertname']
  group_wait: ${o.groupWait ?? '1s'}
  group_interval: ${o.groupInterval ?? '2s'}
  repeat_interval: ${o.repeatInterval ?? '1h'}
receivers:
  - name: opsbot
    webhook_configs:
      - url: '${o.webhookUrl}'
        send_resolved: true
        http_config: { authorization: { type: Bearer, credentials: '${o.token}' } }
`;
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const url = `http://127.0.0.1:${o.port}`;
  let err = '';
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${o.port}`, '--cluster.listen-address=', `--web.external-url=${url}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited: ${err}`);
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`alertmanager not ready: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async postAlerts(alerts) {
      const r = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      if (!r.ok) throw new Error(`POST /api/v2/alerts: ${r.status} ${await r.text()}`);
    },
    async get<T>(path: string): Promise<T> {
      const r = await fetch(`${url}${path}`);
      if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
      return (await r.json()) as T;
    },
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits (polling a cheap condition, generous deadline) until `check` returns a value. */
export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
