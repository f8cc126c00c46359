/**
 * 4. Start-up and memory: spawn `node --import tsx src/main.ts` on the bundled example config (temp data
 * dir, stdin closed) → time to the first `/healthz` 200, and VmRSS after 2 s idle. Baselines: a bare
 * node:http server via `node -e`, and the same under `--import tsx` (the loader's own share).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForStatus } from './lib/config.ts';
import { PROJECT_ROOT, rssKiB, spawnNode, stopChild } from './lib/proc.ts';
import { ms, percentile, table } from './lib/table.ts';

const BARE = `require('node:http').createServer((q, r) => { r.writeHead(200, {'content-type': 'application/json'}); r.end('{"status":"ok"}'); }).listen(Number(process.env.PORT), '127.0.0.1');`;

async function sample(args: string[], env: NodeJS.ProcessEnv, port: number): Promise<{ readyMs: number; rssMiB: number; exit: number | null }> {
  const t0 = performance.now();
  const c = spawnNode(args, { env, stdin: 'ignore' });
  try {
    await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200, 30_000, 10);
    const readyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    const rssMiB = rssKiB(c.proc.pid!) / 1024;
    await stopChild(c, 'SIGTERM');
    return { readyMs, rssMiB, exit: c.proc.exitCode };
  } catch (err) {
    await stopChild(c, 'SIGKILL');
    throw new Error(`${args.join(' ')}: ${(err as Error).message}\n${c.stderr().slice(-1500)}`, { cause: err });
  }
}

export async function benchStartup(o: { samples: number }): Promise<string> {
  const kinds: { label: string; args: string[]; bot: boolean }[] = [
    { label: '`node -e` bare http server (baseline)', args: ['-e', BARE], bot: false },
    { label: '`node --import tsx -e` bare http server', args: ['--import', 'tsx', '-e', BARE], bot: false },
    { label: '`node --import tsx src/main.ts` (example config; `npm run dev` without watch)', args: ['--import', 'tsx', 'src/main.ts'], bot: false },
    // What `npm start` runs: scripts/start.mjs checks dist/ is current (building it first if not) and imports it.
    { label: '`node scripts/start.mjs` = `npm start` (compiled dist/, example config)', args: ['scripts/start.mjs'], bot: true },
  ];
  // Build once before timing, so no sample pays for tsc.
  execFileSync(process.execPath, ['scripts/start.mjs'], { cwd: PROJECT_ROOT, env: { ...process.env, OPSBOT_BUILD_ONLY: '1' }, stdio: 'ignore' });
  let compiled: { ready: number; rss: number } | undefined;
  const rows: (string | number)[][] = [];
  const exits: string[] = [];
  for (const k of kinds) {
    const ready: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < o.samples; i++) {
      const port = await freePort();
      const dataDir = mkdtempSync(path.join(tmpdir(), 'opsbot-start-'));
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), OPSBOT_DATA_DIR: dataDir, NODE_ENV: 'production' };
      delete env.OPSBOT_CONFIG;
      const s = await sample(k.args, env, port);
      ready.push(s.readyMs);
      rss.push(s.rssMiB);
      if (k.bot) exits.push(String(s.exit));
      rmSync(dataDir, { recursive: true, force: true });
    }
    rows.push([k.label, o.samples, ms(percentile(ready, 50)), ms(Math.max(...ready)), ms(percentile(rss, 50)), ms(Math.max(...rss))]);
    if (k.bot) compiled = { ready: percentile(ready, 50), rss: percentile(rss, 50) };
  }
  return [
    `### Start-up and memory (${o.samples} samples each; stdin closed, temp data dir, 127.0.0.1)`,
    '',
    table(['process', 'samples', 'spawn → /healthz 200, median ms', 'max ms', 'idle RSS after 2 s, median MiB', 'max MiB'], rows),
    '',
    `- The bot's exit codes on SIGTERM: ${exits.join(', ')} (contract: 0).`,
    ...(compiled
      ? [
          `- Goal (issue 22): start to \`/healthz\` 200 < 800 ms: ${ms(compiled.ready)} ms → ${compiled.ready < 800 ? 'met' : 'MISSED'}`,
          `- Goal (issue 22): idle RSS < 100 MiB: ${ms(compiled.rss)} MiB → ${compiled.rss < 100 ? 'met' : 'MISSED'}`,
        ]
      : []),
  ].join('\n');
}
