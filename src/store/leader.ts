/**
 * Leader election on PostgreSQL for the things exactly one replica may hold: the DingTalk Stream
 * connection, the WeCom long connection (issue 9 §4; docs/scale-out.md §0 flow 4 and §A.3).
 *
 * A session advisory lock (`pg_try_advisory_lock`) held on a dedicated connection (not pooled: a
 * pool would hand the session, and with it the lock, to someone else). The lock lives as long as the
 * session, so:
 * - a crashed leader (SIGKILL, connection cut, `pg_terminate_backend`) loses it at once;
 * - a *frozen* leader (SIGSTOP, GC storm, VM pause) loses it through `idle_session_timeout`: the server
 *   ends a session idle longer than that, and a live leader is never idle because it pings every
 *   `pingMs` (measured in the doc: never without the timeout, 3.0 s with it set to 3 s);
 * - TCP keepalive notices a dead network path.
 * The leader steps down (`onDemoted`) on any connection error, a ping that fails or takes too long, or
 * a wake-up after a pause longer than the timeout, *before* contending again. Standbys retry every
 * `retryMs`. A brief double-leader window is possible around a freeze; inbound dedupe by message id
 * makes it harmless (§0 flow 4).
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { LOCK_NAMESPACE } from './postgres/migrations.ts';

export interface LeaderElectionOptions {
  url: string;
  /** What is being led, e.g. `dingtalk:<appKey>`; hashed into the advisory lock key. */
  lockKey: string;
  /** Called once when this replica becomes leader: start the connection now. */
  onElected: () => void | Promise<void>;
  /** Called once when leadership ends (lost or stop()): drop the connection now. */
  onDemoted: () => void | Promise<void>;
  log: Logger;
  /** Standby retry interval (default 2000 ms). */
  retryMs?: number;
  /** Leader liveness ping interval (default 5000 ms); must be well below idleSessionTimeoutMs. */
  pingMs?: number;
  /** Server-side `idle_session_timeout` of the lock session (default 15000 ms). */
  idleSessionTimeoutMs?: number;
}

export interface LeaderElection {
  isLeader(): boolean;
  /** Resolves when the first attempt (elected or not) has finished; for tests and start-up logs. */
  readonly firstAttempt: Promise<void>;
  /** Steps down (onDemoted if leading), releases the lock and stops contending. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts contending for `lockKey` right away; see the module comment for the failure model. */
export function createLeaderElection(opts: LeaderElectionOptions): LeaderElection {
  const retryMs = opts.retryMs ?? 2000;
  const pingMs = opts.pingMs ?? 5000;
  const idleMs = opts.idleSessionTimeoutMs ?? 15_000;
  if (pingMs * 2 > idleMs || retryMs * 2 > idleMs) throw new Error('leader: pingMs and retryMs must be below half of idleSessionTimeoutMs');
  const log = opts.log.child({ leaderLock: opts.lockKey });

  let stopped = false;
  let leader = false;
  let client: pg.Client | undefined;
  let wake: (() => void) | undefined; // interrupts a wait (stop, connection lost)
  let firstDone: () => void = () => {};
  const firstAttempt = new Promise<void>((r) => (firstDone = r));

  const wait = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => { clearTimeout(t); r(); };
    });

  async function demote(reason: string): Promise<void> {
    if (!leader) return;
    leader = false; // idempotent: error and end both fire on a terminated connection
    log.warn({ reason }, 'leader: stepping down');
    try {
      await opts.onDemoted();
    } catch (err) {
      log.error({ err }, 'leader: onDemoted failed');
    }
  }

  /** Holds leadership until the session is lost or stop(); pings keep the session non-idle. */
  async function hold(c: pg.Client, lost: { reason?: string }): Promise<void> {
    let lastOk = Date.now();
    while (!stopped && !lost.reason) {
      await wait(pingMs);
      if (stopped || lost.reason) break;
      // Woken after a pause longer than the server's timeout: the lock may already be someone else's.
      if (Date.now() - lastOk > idleMs - pingMs) { lost.reason = 'paused longer than idle_session_timeout'; break; }
      const timeout = sleep(pingMs).then(() => 'timeout' as const);
      const ping = c.query('SELECT 1').then(() => 'ok' as const, () => 'error' as const);
      const r = await Promise.race([ping, timeout]);
      if (r !== 'ok') { lost.reason = `ping ${r}`; break; }
      lastOk = Date.now();
    }
  }

  async function attempt(): Promise<void> {
    const lost: { reason?: string } = {};
    const c = new pg.Client({
      connectionString: opts.url,
      application_name: `opsbot-leader:${opts.lockKey}`.slice(0, 63),
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
      options: `-c idle_session_timeout=${idleMs}`,
      connectionTimeoutMillis: Math.max(1000, retryMs),
    });
    client = c;
    const onLost = (why: string) => () => {
      lost.reason ??= why;
      wake?.();
      void demote(why); // step down at once, before anyone else can take over
    };
    c.on('error', (err) => onLost(`connection error: ${err.message}`)());
    c.on('end', onLost('connection ended'));
    try {
      await c.connect();
      while (!stopped && !lost.reason) {
        const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_NAMESPACE, opts.lockKey]);
        if (r.rows[0]?.ok) {
          if (stopped) break;
          leader = true;
          firstDone();
          log.info('leader: elected');
          try {
            await opts.onElected();
          } catch (err) {
            log.error({ err }, 'leader: onElected failed');
          }
          await hold(c, lost);
          break;
        }
        firstDone();
        await wait(retryMs); // the try itself keeps the standby session from idling out
      }
    } catch (err) {
      lost.reason ??= (err as Error).message;
    } finally {
      await demote(lost.reason ?? 'stopped');
      client = undefined;
      // Ending the session releases the lock (session advisory locks die with their session).
      await c.end().catch(() => {});
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await attempt();
      firstDone();
      if (!stopped) await wait(retryMs);
    }
  })();

  return {
    isLeader: () => leader,
    firstAttempt,
    async stop() {
      stopped = true;
      wake?.();
      const c = client;
      if (c && leader) await c.query('SELECT pg_advisory_unlock_all()').catch(() => {});
      await loop;
    },
  };
}
