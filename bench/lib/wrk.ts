/**
 * HTTP load with wrk (Debian's C load generator; ~47 000 req/s against bare Koa on these 2 cores, where
 * autocannon tops out near 16 000–20 000: alerting-and-engines.md §6). Installs wrk with apt-get when it
 * is missing. Every request is a unique signed Sentry event_alert delivery (wrk-sentry.lua).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventAlertParts, eventId, sentrySign } from './sentry.ts';

const LUA = path.join(import.meta.dirname, 'wrk-sentry.lua');
export const WRK_THREADS = 2;

export interface WrkResult {
  connections: number;
  rps: number;
  /** ms */
  p50: number;
  p99: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  /** Requests sent after the precomputed ids ran out (repeats: duplicates, cheaper for the bot). */
  wrapped: number;
  /** wrk's own CPU time (user + system, all its threads) per request sent, in µs. */
  wrkCpuPerReq: number;
  /** The whole machine's CPU busy over the run, in % of all cores (/proc/stat): 100 % means nothing was left. */
  machineBusy: number;
}

/** All cores' busy and total jiffies so far (/proc/stat's first line; iowait counts as idle). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}

/** Makes sure wrk is there (apt-get on a fresh machine, as .ci/run does for the test servers). */
export function ensureWrk(): string {
  try {
    return execFileSync('wrk', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? 'wrk';
  } catch (err) {
    // `wrk --version` prints its banner and exits 1.
    const out = String((err as { stdout?: unknown }).stdout ?? '');
    if (out.startsWith('wrk')) return out.split('\n')[0]!;
  }
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null'], { stdio: 'inherit' });
  return 'wrk (installed by the bench)';
}

/** Writes `n` signed ids for run `marker` (one per line: id, space, signature) and the body's parts. */
function prepare(marker: string, n: number, secret: string): { dir: string; parts: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'opsbot-wrk-'));
  const parts = eventAlertParts();
  const lines: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = eventId(marker, i);
    lines[i] = `${id} ${sentrySign(parts.join(id), secret)}`;
  }
  parts.forEach((p, i) => writeFileSync(path.join(dir, `part${i + 1}.txt`), p));
  writeFileSync(path.join(dir, 'signed.txt'), lines.join('\n') + '\n');
  return { dir, parts: parts.length };
}

/** One wrk run of `durationSec` at `connections`, `expectedRps` sizing the unique ids (with headroom). */
export async function wrkLoad(o: { port: number; connections: number; durationSec: number; marker: string; secret: string; expectedRps: number; path?: string }): Promise<WrkResult> {
  const n = Math.ceil(o.expectedRps * o.durationSec * 1.5) + 1000;
  const { dir, parts } = prepare(o.marker, n, o.secret);
  try {
    const args = ['-t', String(Math.min(WRK_THREADS, o.connections)), '-c', String(o.connections), '-d', `${o.durationSec}s`, '--timeout', '20s', '-s', LUA, `http://127.0.0.1:${o.port}`, '--', dir, String(Math.min(WRK_THREADS, o.connections)), o.path ?? '/webhooks/sentry', String(parts)];
    const ticks0 = machineTicks();
    const out = await new Promise<string>((resolve, reject) => {
      // Through sh, whose `times` then prints the CPU its finished child (wrk, every thread) used.
      const p = spawn('sh', ['-c', 'wrk "$@"; s=$?; echo WRKTIMES; times; exit $s', 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let s = '';
      p.stdout.on('data', (b: Buffer) => (s += b.toString()));
      p.stderr.on('data', (b: Buffer) => (s += b.toString()));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`wrk exited ${code}: ${s.slice(-500)}`))));
    });
    const line = /WRKJSON (\{.*\})/.exec(out)?.[1];
    if (!line) throw new Error(`wrk printed no result: ${out.slice(-500)}`);
    const r = JSON.parse(line) as { requests: number; duration_us: number; p50_us: number; p99_us: number; non2xx: number; errors: number; wrapped: number };
    const ticks1 = machineTicks();
    // `times`: the shell's own user/system line, then its children's (wrk's) one.
    const t = /WRKTIMES\s+\S+ \S+\s+(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(out);
    if (!t) throw new Error(`wrk ran, but sh's times printed nothing readable: ${out.slice(-300)}`);
    const wrkCpuMs = (Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000;
    const ok = r.requests - r.non2xx;
    return {
      connections: o.connections, rps: ok / (r.duration_us / 1e6), p50: r.p50_us / 1000, p99: r.p99_us / 1000, ok2xx: ok, non2xx: r.non2xx, errors: r.errors, wrapped: r.wrapped,
      wrkCpuPerReq: (wrkCpuMs * 1000) / Math.max(1, r.requests),
      machineBusy: (100 * (ticks1.busy - ticks0.busy)) / Math.max(1, ticks1.total - ticks0.total),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
