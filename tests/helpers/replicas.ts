/**
 * Several opsbot *processes* on one PostgreSQL database (issue 9 "Done when"): each replica is
 * `node --import tsx src/main.ts` (NODE_ENV=production) with its own generated YAML config, its own
 * free port on 127.0.0.1 and its own temp data dir, stdin piped for console commands, stdout/stderr
 * captured. `useReplicas()` registers afterEach/afterAll hooks that kill every replica still running
 * (and a process 'exit' hook as a last resort), so a failing test leaves no orphan process.
 *
 * ```ts
 * const pgc = usePostgres();
 * const replicas = useReplicas();
 * it('...', async () => {
 *   const dt = await startFakeDingtalk();                      // optional; close it yourself
 *   const [a, b] = await replicas.start(2, { databaseUrl: await pgc.current.freshDatabase(),
 *     chat: dt.chatYaml(), yaml: PRODUCTS_YAML });
 *   a.type('/deploy demo v1.0.0 env-1');                      // console chat, as the local admin
 *   await a.waitFor(/#1/, { stream: 'stdout' });               // the console chat's answer
 *   await b.waitFor(/leader: elected/);                        // a log line (stderr with the console on)
 *   expect(await a.metric('opsbot_dingtalk', { counter: 'streamConnected' })).toBe(1);
 *   await b.kill('SIGKILL');                                   // or: expect(await b.stop()).toBe(0)
 * });
 * ```
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { freePort, waitForStatus } from '../../bench/lib/config.ts';
import { spawnNode, stopChild, type Child } from '../../bench/lib/proc.ts';

/** How to configure the replicas (the same for all of a `start(n, …)` call unless a function is given). */
export interface ReplicaOptions {
  /** `storage.url` of the shared database (`await pgc.current.freshDatabase()`). */
  databaseUrl: string;
  /**
   * Extra top-level YAML appended verbatim: `people:`, `teams:`, `products:`, `sentry:`, `gitlab:`,
   * `deploy:`, `confirm:` … Do not repeat `locale`, `server`, `storage`, `log` or `chat` (the harness
   * writes them; a duplicate key is a YAML error).
   */
  yaml?: string;
  /**
   * Extra entries of the `chat:` mapping, one per line, unindented, e.g. `fakeDingtalk.chatYaml()`
   * or `budgetPerMinute: 100`.
   */
  chat?: string;
  /** `chat.console`: true (local admin, default), false, or a person id to speak as. */
  console?: boolean | string;
  locale?: 'en' | 'zh-CN';
  /** `log.level` (default info: logs go to stderr while the console is on, and tests can wait on them). */
  logLevel?: string;
  /** Extra `storage:` keys in flow style without braces, e.g. `leaseSeconds: 3`. */
  storageExtra?: string;
  /** Extra environment variables (e.g. for `${VAR}` in the YAML). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for `/healthz` 200 (default 30 s). */
  readyTimeoutMs?: number;
}

/** One running replica. */
export interface Replica {
  /** 0-based index in start order (across the test). */
  index: number;
  name: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  child: Child;
  /** The config file written for it, and its own data dir. */
  configFile: string;
  dataDir: string;
  stdout(): string;
  stderr(): string;
  /**
   * Waits until `re` matches the captured output (default: stdout + stderr; stdout carries the console
   * chat, stderr the JSON logs while the console is on, stdout the logs when it is off) at least
   * `count` times (default 1); resolves with every match. Rejects after `timeoutMs` (default 20 s) or
   * if the replica exits first, with the output's tail in the message.
   */
  waitFor(re: RegExp, opts?: WaitOptions | number): Promise<string[]>;
  /** How many times `re` matches the output now (same `stream` choice as waitFor). */
  count(re: RegExp, stream?: WaitOptions['stream']): number;
  /** Types a line into the console chat (stdin); a trailing newline is added. */
  type(line: string): void;
  /** `GET /metrics` text. */
  metrics(): Promise<string>;
  /** One sample of /metrics, e.g. `metric('opsbot_dingtalk', {counter: 'streamConnected'})`; undefined if absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  /** Sends a signal (default SIGKILL) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, waits for the exit (SIGKILL after `graceMs`, default 10 s); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** True until the process has exited. */
  alive(): boolean;
  exited: Child['exited'];
}

export interface WaitOptions {
  timeoutMs?: number;
  stream?: 'stdout' | 'stderr' | 'both';
  count?: number;
}

/** The config a replica runs with (exported so a test can print or tweak it). */
export function replicaYaml(o: ReplicaOptions, port: number, dataDir: string): string {
  const consoleVal = o.console === undefined || o.console === true ? 'true' : o.console === false ? 'false' : `{ as: ${o.console} }`;
  const chatExtra = (o.chat ?? '')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => `  ${l}`)
    .join('\n');
  return `locale: ${o.locale ?? 'en'}
server: { port: ${port}, host: 127.0.0.1 }
storage: { driver: postgres, url: ${JSON.stringify(o.databaseUrl)}, dataDir: ${JSON.stringify(dataDir)}${o.storageExtra ? `, ${o.storageExtra}` : ''} }
log: { level: ${o.logLevel ?? 'info'} }
chat:
  console: ${consoleVal}
${chatExtra}
${o.yaml ?? ''}
`;
}

const everyChild = new Set<Child>();
process.once('exit', () => {
  for (const c of everyChild) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
});

/** Starts one replica and waits until `/healthz` answers 200. Prefer `useReplicas().start` (cleanup). */
export async function startReplica(o: ReplicaOptions, index = 0): Promise<Replica> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), `opsbot-replica${index}-`));
  const configFile = path.join(dataDir, 'opsbot.yaml');
  writeFileSync(configFile, replicaYaml(o, port, dataDir));
  const env: NodeJS.ProcessEnv = { ...process.env, OPSBOT_CONFIG: configFile, PORT: String(port), OPSBOT_DATA_DIR: dataDir, NODE_ENV: 'production', ...o.env };
  const child = spawnNode(['--import', 'tsx', 'src/main.ts'], { env, stdin: 'pipe' });
  everyChild.add(child);
  child.proc.stdin!.on('error', () => {}); // writing to a killed replica must not crash the test process
  const url = `http://127.0.0.1:${port}`;
  const alive = () => child.proc.exitCode === null && child.proc.signalCode === null;
  const r: Replica = {
    index,
    name: `replica${index}`,
    port,
    url,
    pid: child.proc.pid!,
    child,
    configFile,
    dataDir,
    stdout: child.stdout,
    stderr: child.stderr,
    count(re, stream = 'both') {
      const text = stream === 'stdout' ? child.stdout() : stream === 'stderr' ? child.stderr() : `${child.stdout()}\n${child.stderr()}`;
      return [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))].length;
    },
    async waitFor(re, opts = {}) {
      const o = typeof opts === 'number' ? { timeoutMs: opts } : opts;
      const want = o.count ?? 1;
      const t0 = Date.now();
      const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
      for (;;) {
        const text = o.stream === 'stdout' ? child.stdout() : o.stream === 'stderr' ? child.stderr() : `${child.stdout()}\n${child.stderr()}`;
        const found = [...text.matchAll(g)].map((m) => m[0]);
        if (found.length >= want) return found;
        const why = !alive() ? 'exited' : Date.now() - t0 > (o.timeoutMs ?? 20_000) ? 'timed out' : undefined;
        if (why) throw new Error(`${r.name} ${why} waiting for ${re} x${want} (saw ${found.length})\n--- stdout\n${child.stdout().slice(-2000)}\n--- stderr\n${child.stderr().slice(-2000)}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    type(line) {
      child.proc.stdin!.write(line.endsWith('\n') ? line : `${line}\n`);
    },
    async metrics() {
      const res = await fetch(`${url}/metrics`);
      return res.text();
    },
    async metric(name, labels = {}) {
      const text = await r.metrics();
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
        if (!m || m[1] !== name) continue;
        const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
      }
      return undefined;
    },
    async kill(signal = 'SIGKILL') {
      if (alive()) child.proc.kill(signal);
      return child.exited;
    },
    async stop(graceMs = 10_000) {
      await stopChild(child, 'SIGTERM', graceMs);
      return child.proc.exitCode;
    },
    alive,
    exited: child.exited,
  };
  try {
    await waitForStatus(`${url}/healthz`, 200, o.readyTimeoutMs ?? 30_000, 50);
  } catch (err) {
    child.proc.kill('SIGKILL');
    await child.exited;
    throw new Error(`${r.name} did not get ready: ${(err as Error).message}\n--- stderr\n${child.stderr().slice(-3000)}\n--- stdout\n${child.stdout().slice(-2000)}`, { cause: err });
  }
  return r;
}

/** Replicas of the calling test file; every one still running is killed after each test. */
export interface ReplicaSet {
  /** Every replica started in the current test, in start order. */
  readonly all: Replica[];
  /** Starts `n` replicas concurrently on the same options (or `opts(i)` per replica). */
  start(n: number, opts: ReplicaOptions | ((i: number) => ReplicaOptions)): Promise<Replica[]>;
  /** Starts one more replica (e.g. a restart after a kill). */
  startOne(opts: ReplicaOptions): Promise<Replica>;
  /** Kills (SIGKILL) every replica still running; called by afterEach. */
  killAll(): Promise<void>;
}

/** Registers cleanup hooks (afterEach + afterAll) for the calling test file. */
export function useReplicas(): ReplicaSet {
  const all: Replica[] = [];
  let next = 0;
  const set: ReplicaSet = {
    all,
    async start(n, opts) {
      const started = await Promise.allSettled(
        Array.from({ length: n }, (_, i) => {
          const idx = next++;
          return startReplica(typeof opts === 'function' ? opts(i) : opts, idx).then((r) => (all.push(r), r));
        }),
      );
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      return started.map((s) => (s as PromiseFulfilledResult<Replica>).value).sort((a, b) => a.index - b.index);
    },
    async startOne(opts) {
      const r = await startReplica(opts, next++);
      all.push(r);
      return r;
    },
    async killAll() {
      await Promise.all(all.splice(0).map((r) => r.kill('SIGKILL')));
      next = 0;
    },
  };
  afterEach(() => set.killAll(), 20_000);
  afterAll(() => set.killAll(), 20_000);
  return set;
}
