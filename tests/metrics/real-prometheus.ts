/**
 * A private, real Prometheus for end-to-end tests (Debian `prometheus` 2.42, installed by `.ci/run`;
 * facts: /work/shared/docs/alerting-and-engines.md §2 [verified]): `--config.file`, `--storage.tsdb.path`
 * in a temp dir, `--web.listen-address=127.0.0.1:<port>`, a 1 s scrape of one target, and PromQL over
 * `GET /api/v1/query` (prometheus.io "HTTP API": `{status: "success", data: {resultType, result}}`).
 * Never the default port 9090; nothing leaves 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

/** A free port on 127.0.0.1 (bound to port 0 and released: Prometheus takes no port 0 it could report back). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RealPrometheus {
  url: string;
  /** Instant query → the result vector as `{labels, value}`. */
  query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  /** Polls `promql` until `ok` holds for its first value (event-driven enough: Prometheus has no push). */
  waitFor(promql: string, ok: (v: number | undefined) => boolean, timeoutMs?: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startPrometheus(target: string): Promise<RealPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    ['global: { scrape_interval: 1s, evaluation_interval: 1s }', 'scrape_configs:', '  - job_name: opsbot', `    static_configs: [{ targets: ['${target}'] }]`, ''].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(PROMETHEUS_BIN, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const query = async (promql: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error ?? res.status}`);
    return (body.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };
  const waitFor: RealPrometheus['waitFor'] = async (promql, ok, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: number | undefined;
    while (Date.now() < deadline) {
      last = (await query(promql))[0]?.value;
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting on ${promql}; last value ${last}`);
  };

  // Ready: /-/ready answers 200 once the TSDB is open.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${log.slice(-2000)}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, query, waitFor, stop };
}
