/**
 * `npm run bench`: every benchmark of issue 10 in one bounded run (about 2–3 minutes), 127.0.0.1 only,
 * each with its baseline measured in the same run. Prints markdown tables and saves bench/results.md.
 *   npm run bench                 all
 *   npm run bench -- ingest       one section (ingest | command | storm | latency | startup)
 *   npm run bench -- ingest --no-pg | --pg-only   without / only the PostgreSQL scenarios
 *   npm run bench -- ingest --profile [--memory|--pg]   CPU-profile the bot child (lowdb, memory driver or PostgreSQL) → bench/profiles/
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchIngest } from './ingest.ts';
import { PROJECT_ROOT } from './lib/proc.ts';

const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const want = (s: string) => only.length === 0 || only.includes(s);
const profileDir = args.includes('--profile') ? path.join(PROJECT_ROOT, 'bench', 'profiles') : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const quick = args.includes('--quick');

async function main(): Promise<void> {
  const t0 = Date.now();
  const sections: string[] = [
    '## Benchmark results',
    '',
    `\`npm run bench\` on ${new Date().toISOString().slice(0, 16)}Z — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}. Load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (the machine is shared; baselines are interleaved). Storage drivers: lowdb and PostgreSQL (scripts/pg-cluster.sh, server defaults: fsync on).`,
  ];
  const emit = (s: string) => {
    sections.push('', s);
    process.stdout.write(`\n${s}\n`);
  };
  process.stdout.write(sections.join('\n') + '\n');
  if (want('ingest')) emit(await benchIngest({ durationSec: quick ? 2 : 5, connections: [1, 10, 50], prefill: 100_000, ...(profileDir ? { profileDir, profileMemory: args.includes('--memory'), profilePg: args.includes('--pg') } : {}), postgres: !args.includes('--no-pg'), postgresOnly: args.includes('--pg-only') }));
  if (profileDir) {
    const { readdirSync } = await import('node:fs');
    const { summarizeProfile } = await import('./lib/profile.ts');
    const { table } = await import('./lib/table.ts');
    // The biggest profile is the bot's main thread (the others are tsx's loader worker).
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profileDir, f));
    const main = files.map((f) => ({ f, s: summarizeProfile(f) })).sort((a, b) => b.s.totalMs - a.s.totalMs)[0];
    if (main) {
      emit(
        [`### CPU profile of the bot during ingest (${path.relative(PROJECT_ROOT, main.f)}, ${main.s.totalMs.toFixed(0)} ms sampled)`, '',
          table(['inclusive %', 'frame'], main.s.inclusive.map(([k, v]) => [v.toFixed(1), k])), '',
          table(['self %', 'frame'], main.s.self.map(([k, v]) => [v.toFixed(1), k]))].join('\n'),
      );
    }
  }
  if (want('command')) emit(await (await import('./command.ts')).benchCommand({ runs: 2000 }));
  if (want('storm')) emit(await (await import('./storm.ts')).benchStorm({ events: 10_000 }));
  if (want('latency')) emit(await (await import('./delivery-latency.ts')).benchDeliveryLatency({ rate: 50, seconds: quick ? 10 : 30, outageSeconds: quick ? 20 : 60, settleSec: quick ? 40 : 90 }));
  if (want('startup')) emit(await (await import('./startup.ts')).benchStartup({ samples: quick ? 1 : 2 }));
  emit(`_Total bench time: ${((Date.now() - t0) / 1000).toFixed(0)} s._`);
  if (only.length === 0 && !quick) writeFileSync(path.join(PROJECT_ROOT, 'bench', 'results.md'), sections.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
