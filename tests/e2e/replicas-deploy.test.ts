// Issue 9 "Done when", deploys: two opsbot processes on one PostgreSQL, each on its own port.
// `/deploy` typed twice for the same environment, once into each replica's console, runs one deploy
// after the other; a replica killed with SIGKILL mid-deploy has its task announced as interrupted by
// the other one, and the task is not re-run.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../helpers/pg.ts';
import { useReplicas } from '../helpers/replicas.ts';

const pgc = usePostgres();
const replicas = useReplicas();

/** A deploy script that records start/end (with the replica's pid: its parent) in a shared trace file. */
function productsYaml(trace: string, sleepSeconds: number): string {
  const script = `echo "start $OPSBOT_TASK_ID $OPSBOT_RELEASE $PPID $$" >> ${trace}; sleep ${sleepSeconds}; echo "end $OPSBOT_TASK_ID" >> ${trace}`;
  return `
products:
  demo:
    components: [component-a]
    releases:
      v1.0.0: { component-a: v1.0.0 }
      v1.1.0: { component-a: v1.1.0 }
    environments:
      env-1: { engine: { type: command, run: ["sh", "-c", ${JSON.stringify(script)}] } }
`;
}

const traceLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('deploys on two replica processes', () => {
  it('/deploy typed into each replica for the same environment runs one deploy after the other', async () => {
    const trace = path.join(mkdtempSync(path.join(tmpdir(), 'opsbot-trace-')), 'trace.log');
    const [a, b] = await replicas.start(2, { databaseUrl: await pgc.current.freshDatabase(), yaml: productsYaml(trace, 1), logLevel: 'warn' });
    a!.type('/deploy demo v1.0.0 env-1');
    await a!.waitFor(/#1/, { stream: 'stdout' }); // the task card: stored and queued
    b!.type('/deploy demo v1.1.0 env-1');
    await until(() => traceLines(trace).filter((l) => l.startsWith('end')).length === 2, 30_000, 'both deploys to end');
    const lines = traceLines(trace).map((l) => l.split(' ').slice(0, 3).join(' '));
    // Strictly one after the other, in the order they were typed.
    expect(lines).toEqual(['start 1 v1.0.0', 'end 1', 'start 2 v1.1.0', 'end 2']);
    // Both replicas show the tasks' cards; the second card went out on the replica that asked.
    await b!.waitFor(/#2/, { stream: 'stdout' });
  }, 90_000);

  it('a replica killed mid-deploy: the other announces the task as interrupted and never re-runs it', async () => {
    const trace = path.join(mkdtempSync(path.join(tmpdir(), 'opsbot-trace-')), 'trace.log');
    const [a, b] = await replicas.start(2, {
      databaseUrl: await pgc.current.freshDatabase(),
      yaml: productsYaml(trace, 30),
      storageExtra: 'leaseSeconds: 2',
      logLevel: 'warn',
    });
    a!.type('/deploy demo v1.0.0 env-1');
    await until(() => traceLines(trace).some((l) => l.startsWith('start 1')), 20_000, 'the deploy to start');
    const [, , , runnerPid, scriptPid] = traceLines(trace)[0]!.split(' ');
    const runner = [a!, b!].find((r) => String(r.pid) === runnerPid)!;
    const other = runner === a ? b! : a!;
    expect(runner).toBeDefined();
    const killedAt = Date.now();
    await runner.kill('SIGKILL');
    try {
      // The survivor notices the lost lease and announces it in the task's chat (its console here).
      await other.waitFor(/interrupted/, { stream: 'stdout', timeoutMs: 20_000 });
      const detectedMs = Date.now() - killedAt;
      console.log(`interrupted deploy announced ${detectedMs} ms after SIGKILL (lease 2 s)`);
      expect(detectedMs).toBeLessThan(15_000);
      await other.waitFor(/replica running this task stopped/, { stream: 'stdout' });
      // The next deploy of that environment runs on the survivor; the dead task never starts again.
      other.type('/deploy demo v1.1.0 env-1');
      await until(() => traceLines(trace).some((l) => l.startsWith('start 2')), 20_000, 'the next deploy');
      expect(traceLines(trace).filter((l) => l.startsWith('start 1'))).toHaveLength(1);
    } finally {
      // The killed replica's script was orphaned (as on a real crash): clean it up.
      for (const pid of [scriptPid]) {
        try {
          process.kill(-Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }, 90_000);
});
