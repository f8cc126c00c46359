// The two-command promise: `npm start` on the bundled example answers /healthz, prints the command list
// for `/help` typed on stdin (even after stdin closes), and exits 0 on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const freePort = () => new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => r(p)); }); });

// `npm start` is scripts/start.mjs (the esbuild bundle dist/opsbot.mjs, rebuilt first when stale);
// `npm run dev` runs the sources through tsx. Both must keep the promise.
const STARTS = [
  { name: 'npm start (scripts/start.mjs → dist/opsbot.mjs)', args: ['scripts/start.mjs'] },
  { name: 'the sources through tsx', args: ['--import', 'tsx', 'src/main.ts'] },
];

describe.each(STARTS)('$name on the example config', ({ args }) => {
  it('serves /healthz, answers /help on stdout, survives stdin EOF, stops on SIGTERM', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'opsbot-e2e-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), OPSBOT_DATA_DIR: dataDir, NODE_ENV: 'production' };
    delete env.OPSBOT_CONFIG;
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end('/help\n');
    const t0 = Date.now();
    let status = 0;
    while (Date.now() - t0 < 40_000) {
      try {
        status = (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
        if (status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status, stderr).toBe(200);
    while (!stdout.includes('/whoami') && Date.now() - t0 < 40_000) await new Promise((r) => setTimeout(r, 100));
    expect(stdout).toContain('opsbot 命令');
    expect(stdout).toContain('/help');
    expect(stdout).not.toContain('"level"'); // logs go to stderr when the console chat is on
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200); // still up after stdin EOF
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
  });
});
