/**
 * 10 000 malformed requests at every webhook endpoint of a real bot process (all sources and HTTP-mode
 * platforms configured): only the contract's status codes (200/400/401/413/415, never 500), no crash,
 * /healthz still 200, and RSS flat (bounded growth between the first 2 000 and the last request).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rssKiB, stopChild, type Child } from '../../bench/lib/proc.ts';
import { fuzzer, type FuzzCase } from './fuzz-bodies.ts';
import { allSourcesYaml, freePort, startChild, tempDir } from './helpers.ts';

const ALLOWED = new Set([200, 400, 401, 413, 415]);
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c, 'SIGKILL');
});

async function send(base: string, c: FuzzCase): Promise<number> {
  try {
    const r = await fetch(base + c.path, { method: c.method, headers: c.headers, ...(c.body ? { body: c.body } : {}) });
    await r.arrayBuffer();
    return r.status;
  } catch (err) {
    // The server may close the socket after a 413 before the whole oversized body is written.
    if (c.body && c.body.length > 1024 * 1024) return 413;
    throw new Error(`${c.name}: ${(err as Error).message}`, { cause: err });
  }
}

describe('malformed bodies', () => {
  it('10 000 fuzzed requests: contract statuses only, no crash, memory flat', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const bot = await startChild(allSourcesYaml({ dataDir, port, logLevel: 'error' }), dataDir, port);
    children.push(bot);
    const base = `http://127.0.0.1:${port}`;
    const next = fuzzer(20261123);
    const bad: string[] = [];
    const statuses = new Map<number, number>();
    const total = 10_000;
    let i = 0;
    let rssAfterWarmup = 0;
    const worker = async () => {
      while (i < total) {
        const c = next(i++);
        const status = await send(base, c);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (!ALLOWED.has(status)) bad.push(`${c.name} ${c.method} ${c.path.slice(0, 60)} → ${status}`);
        if (i === 2000 && !rssAfterWarmup) rssAfterWarmup = rssKiB(bot.proc.pid!);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const rssEnd = rssKiB(bot.proc.pid!);
    console.info(`fuzz: statuses ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${Math.round(rssAfterWarmup / 1024)} → ${Math.round(rssEnd / 1024)} MiB`);

    expect(bad.slice(0, 20)).toEqual([]);
    expect(bot.proc.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Every class of answer was exercised (the fuzz reaches the parsers, not only the auth checks).
    for (const s of [400, 401, 413, 415]) expect(statuses.get(s) ?? 0, `status ${s}`).toBeGreaterThan(0);
    expect(rssEnd - rssAfterWarmup).toBeLessThan(96 * 1024);
    expect(bot.stderr()).not.toMatch(/webhook handler failed|unhandled|uncaught/i);
  });
});
