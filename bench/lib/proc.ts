/** Child processes for benches and fault tests: spawn, wait for a line, read RSS, stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const PROJECT_ROOT = new URL('../../', import.meta.url).pathname;

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` on stdout (or stderr). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnNode(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe'; cwd?: string } = {}): Child {
  const proc = spawn(process.execPath, args, { cwd: opts.cwd ?? PROJECT_ROOT, env: opts.env ?? process.env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  proc.stdout!.on('data', (d: Buffer) => ((out += d.toString()), wake()));
  proc.stderr!.on('data', (d: Buffer) => ((err += d.toString()), wake()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => (r({ code, signal }), wake())));
  let done = false;
  void exited.then(() => (done = true));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(re, timeoutMs = 20_000) {
      const t0 = Date.now();
      for (;;) {
        const m = out.match(re) ?? err.match(re);
        if (m) return m;
        if (done) throw new Error(`child exited before ${re}: ${err.slice(-2000)}`);
        if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${re}: ${err.slice(-2000)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}

/** VmRSS of a live process in KiB (Linux /proc). */
export function rssKiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)\s+kB/);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** SIGTERM (or `signal`) and wait for the exit, SIGKILL after `graceMs`. */
export async function stopChild(c: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(t);
}
