/**
 * `promtool check metrics` (Debian `prometheus` 2.42: exit 0 when clean, 3 on lint problems;
 * alerting-and-engines.md §2 [verified]) over an exposition text, and the prom-client default Node/process
 * families that are left out of the check: prom-client names the gauge `nodejs_active_handles_total`
 * (with our `opsbot_` prefix) and promtool rightly says "non-counter metrics should not have _total
 * suffix". They are prom-client's, not opsbot's; we keep them (heap, event loop lag are useful) and check
 * everything else.
 */
import { spawn } from 'node:child_process';
import { collectDefaultMetrics, Registry } from 'prom-client';

export const PROMTOOL_BIN = '/usr/bin/promtool';

export async function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL_BIN, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** The family names prom-client's defaults register with this prefix (read from a registry holding only them). */
export async function defaultFamilies(prefix = 'opsbot_'): Promise<Set<string>> {
  const r = new Registry();
  collectDefaultMetrics({ register: r, prefix });
  return new Set((await r.getMetricsAsJSON()).map((m) => m.name));
}

/** The exposition text without the given families (blocks start at `# HELP <name>`). */
export function withoutFamilies(text: string, drop: Set<string>): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    const head = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    if (head) skipping = drop.has(head[1]!);
    if (!skipping) out.push(line);
  }
  return out.join('\n');
}
