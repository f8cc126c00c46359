/**
 * The four DORA measures (issue 21 §2), pure over hand-made or stored histories (history.ts).
 *
 * Definitions (the DORA "Four Keys" shapes, fitted to what opsbot records):
 * - a *change* is a deploy task (kind `deploy`, not `rollback`) that ended `succeeded` or `failed`
 *   (cancelled and interrupted tasks changed nothing we can judge);
 * - deployment frequency: successful changes that finished in the period (and per day);
 * - lead time: for the first successful deploy of a release to an environment, from the release's change
 *   time (merge/tag, when GitLab told us) to that deploy's finish; the median;
 * - change failure rate: failed changes / changes. A change failed when its task failed, or when within
 *   `failureWindowMs` after it succeeded: a rollback was asked for on its environment while it was the
 *   last success there, a deploy of the same release failed (any environment), or an alert was opened
 *   that links to it (same product, the alert's env/release when it names them, and it was the
 *   environment's last success when the alert opened). A rollback is not a change: a rollback of a
 *   rollback finds a rollback as the last success and blames no second change;
 * - time to restore: incidents are alerts (opened → resolved) and failing streaks of deploy tasks on an
 *   environment (the first failure → the next success there); the median over restored incidents that
 *   began in the period. An alert opened before any deploy is an incident, never a change failure.
 */
import type { AlertRecord, DeployRecord, History } from './history.ts';

export interface Period {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive. */
  to: number;
}

export type FailureCause = 'failed' | 'rolledBack' | 'sameReleaseFailed' | 'alert';

export interface FailedChange {
  taskId: string;
  env: string;
  release: string;
  cause: FailureCause;
  at: number;
}

export interface DoraFigures {
  /** Successful changes in the period. */
  deployments: number;
  deploymentsPerDay: number;
  /** Changes judged (succeeded + failed) in the period. */
  changes: number;
  failedChanges: number;
  /** failedChanges / changes; undefined without changes. */
  changeFailureRate: number | undefined;
  /** Median, ms; undefined when no change time is known. */
  leadTimeMs: number | undefined;
  /** Median, ms; undefined when nothing was restored. */
  timeToRestoreMs: number | undefined;
  /** Incidents that began in the period and were restored / are still open. */
  restored: number;
  stillOpen: number;
  failures: FailedChange[];
  rollbacks: number;
}

export interface DoraOptions {
  failureWindowMs: number;
}

export const DAY_MS = 86_400_000;

export function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

const inPeriod = (at: number | undefined, p: Period): at is number => at !== undefined && at >= p.from && at < p.to;
const finished = (d: DeployRecord): d is DeployRecord & { finishedAt: number } => d.finishedAt !== undefined;
const isChange = (d: DeployRecord): d is DeployRecord & { finishedAt: number } =>
  d.kind === 'deploy' && (d.state === 'succeeded' || d.state === 'failed') && finished(d);
/** Finish order, ties by the task sequence (ids are numeric strings). */
const byFinish = (a: { finishedAt: number; id: string }, b: { finishedAt: number; id: string }) => a.finishedAt - b.finishedAt || Number(a.id) - Number(b.id);

/** The last task (deploy or rollback) that succeeded on `env` strictly before `at`. */
function lastSuccessBefore(sorted: (DeployRecord & { finishedAt: number })[], env: string, at: number): DeployRecord | undefined {
  let last: DeployRecord | undefined;
  for (const d of sorted) {
    if (d.finishedAt >= at) break;
    if (d.env === env && d.state === 'succeeded') last = d;
  }
  return last;
}

/** Why a successful change counts as failed, if it does (the causes in the header, in that order). */
function failureCause(c: DeployRecord & { finishedAt: number }, sorted: (DeployRecord & { finishedAt: number })[], all: DeployRecord[], alerts: AlertRecord[], o: DoraOptions): { cause: FailureCause; at: number } | undefined {
  const end = c.finishedAt + o.failureWindowMs;
  const within = (at: number) => at > c.finishedAt && at <= end;
  for (const r of all) {
    if (r.kind === 'rollback' && r.env === c.env && within(r.createdAt) && lastSuccessBefore(sorted, c.env, r.createdAt)?.id === c.id) return { cause: 'rolledBack', at: r.createdAt };
  }
  for (const f of sorted) {
    if (f.kind === 'deploy' && f.state === 'failed' && f.release === c.release && f.id !== c.id && within(f.finishedAt)) return { cause: 'sameReleaseFailed', at: f.finishedAt };
  }
  const envs = new Set(all.map((d) => d.env));
  for (const a of alerts) {
    if (a.openedAt < c.finishedAt || a.openedAt > end) continue;
    if (a.release !== undefined && a.release !== c.release) continue;
    // An alert naming one of our environments links only there; otherwise to the product's last success anywhere.
    const linked = a.env !== undefined && envs.has(a.env) ? lastSuccessBefore(sorted, a.env, a.openedAt + 1) : lastSuccessAnywhere(sorted, a.openedAt + 1);
    if (linked?.id === c.id) return { cause: 'alert', at: a.openedAt };
  }
  return undefined;
}

function lastSuccessAnywhere(sorted: (DeployRecord & { finishedAt: number })[], at: number): DeployRecord | undefined {
  let last: DeployRecord | undefined;
  for (const d of sorted) {
    if (d.finishedAt >= at) break;
    if (d.state === 'succeeded') last = d;
  }
  return last;
}

/** Failing streaks on each environment: [first failure's finish, next success's finish | undefined]. */
function deployIncidents(sorted: (DeployRecord & { finishedAt: number })[]): { env: string; start: number; end: number | undefined }[] {
  const open = new Map<string, { env: string; start: number; end: number | undefined }>();
  const out: { env: string; start: number; end: number | undefined }[] = [];
  for (const d of sorted) {
    if (d.state === 'failed' && !open.has(d.env)) {
      const inc = { env: d.env, start: d.finishedAt, end: undefined };
      open.set(d.env, inc);
      out.push(inc);
    } else if (d.state === 'succeeded') {
      const inc = open.get(d.env);
      if (inc) inc.end = d.finishedAt;
      open.delete(d.env);
    }
  }
  return out;
}

/**
 * The measures for one product's history (`h` already holds that product only), over `period`, for
 * one environment or all (`env` undefined).
 */
export function dora(h: History, period: Period, o: DoraOptions, env?: string): DoraFigures {
  const sorted = h.deploys.filter(finished).sort(byFinish);
  const forEnv = (e: string | undefined) => env === undefined || e === env;
  const changes = sorted.filter((d) => isChange(d) && forEnv(d.env) && inPeriod(d.finishedAt, period));
  const failures: FailedChange[] = [];
  for (const c of changes) {
    if (c.state === 'failed') failures.push({ taskId: c.id, env: c.env, release: c.release, cause: 'failed', at: c.finishedAt });
    else {
      const why = failureCause(c, sorted, h.deploys, h.alerts, o);
      if (why) failures.push({ taskId: c.id, env: c.env, release: c.release, cause: why.cause, at: why.at });
    }
  }
  const successes = changes.filter((c) => c.state === 'succeeded');

  // Lead time: first successful deploy of each release per environment, over all history.
  const firstDeploy = new Map<string, string>();
  for (const d of sorted) if (d.kind === 'deploy' && d.state === 'succeeded' && !firstDeploy.has(`${d.env}|${d.release}`)) firstDeploy.set(`${d.env}|${d.release}`, d.id);
  const changeAt = new Map(h.changes.map((c) => [c.release, c.at]));
  const leads: number[] = [];
  for (const s of successes) {
    const at = changeAt.get(s.release);
    if (at !== undefined && at <= s.finishedAt && firstDeploy.get(`${s.env}|${s.release}`) === s.id) leads.push(s.finishedAt - at);
  }

  const restores: number[] = [];
  let stillOpen = 0;
  const incidents = [
    ...deployIncidents(sorted).filter((i) => forEnv(i.env)),
    ...h.alerts.filter((a) => env === undefined || a.env === env).map((a) => ({ start: a.openedAt, end: a.resolvedAt })),
  ];
  for (const i of incidents) {
    if (!inPeriod(i.start, period)) continue;
    if (i.end === undefined) stillOpen++;
    else restores.push(Math.max(0, i.end - i.start));
  }

  const days = Math.max(1, (period.to - period.from) / DAY_MS);
  return {
    deployments: successes.length,
    deploymentsPerDay: successes.length / days,
    changes: changes.length,
    failedChanges: failures.length,
    changeFailureRate: changes.length ? failures.length / changes.length : undefined,
    leadTimeMs: median(leads),
    timeToRestoreMs: median(restores),
    restored: restores.length,
    stillOpen,
    failures,
    rollbacks: sorted.filter((d) => d.kind === 'rollback' && forEnv(d.env) && inPeriod(d.finishedAt, period)).length,
  };
}

/** `7d` → the last 7 days up to `now`, and the 7 days before that (the trend's baseline). */
export function periodsOf(days: number, now: number): { current: Period; previous: Period } {
  const span = days * DAY_MS;
  return { current: { from: now - span, to: now }, previous: { from: now - 2 * span, to: now - span } };
}
