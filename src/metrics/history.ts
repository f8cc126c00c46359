/**
 * The histories the delivery metrics are computed from, as plain records (dora.ts is pure over these),
 * and the small readers that take them from what the store already records:
 * - deploy tasks: the deploy feature's `tasks` collection (src/deploy/tasks.ts, read only here);
 * - alerts: an `AlertsHistory` provider; the default reads Sentry's `sentry.alerts` collection
 *   (src/sources/sentry/state.ts). The alert engine is being reworked, so another feature can provide
 *   `ALERTS_HISTORY` and this default steps aside (metrics feature: `deps.services.get(ALERTS_HISTORY)`);
 * - change times (merge/tag → release): releases the GitLab feature made from tags (`releases` documents
 *   with `createdBy: gitlab:…`, src/sources/gitlab/tags.ts) and tags on a product's own project that
 *   this feature records from `gitlab.tag.created` (collection `metrics.change-times`).
 */
import { serviceKey } from '../core/feature.ts';
import type { DeployTask } from '../deploy/tasks.ts';
import type { Release } from '../deploy/releases.ts';
import { ALERTS_COLLECTION, type AlertState } from '../sources/sentry/state.ts';
import type { Store } from '../store/types.ts';

/** The fields of a deploy task the measures read. */
export type DeployRecord = Pick<DeployTask, 'id' | 'product' | 'env' | 'release' | 'kind' | 'state' | 'engine' | 'createdAt'> &
  Partial<Pick<DeployTask, 'startedAt' | 'finishedAt' | 'previousRelease'>>;

/** One alert, whatever raised it (Sentry today, Alertmanager tomorrow). Times are epoch ms. */
export interface AlertRecord {
  key: string;
  source: string;
  title: string;
  /** Bounded: critical, error, warning, info (anything else is mapped to `error` by the provider). */
  severity: string;
  product?: string | undefined;
  /** The alert's environment name, when the alert says (matched against opsbot's env names). */
  env?: string | undefined;
  release?: string | undefined;
  openedAt: number;
  acknowledgedAt?: number | undefined;
  resolvedAt?: number | undefined;
  /** Events folded into the alert (the noisiness). */
  count: number;
}

/** When the change behind a release was made (a merge or a tag GitLab told us about). */
export interface ChangeTime {
  product: string;
  release: string;
  at: number;
}

export interface History {
  deploys: DeployRecord[];
  alerts: AlertRecord[];
  changes: ChangeTime[];
}

/** Every alert known to the store (the provider decides what "opened" and "resolved" mean for its source). */
export type AlertsHistory = (store: Store) => Promise<AlertRecord[]>;

/** Provided by an alert engine that keeps its own history; absent → `sentryAlertsHistory`. */
export const ALERTS_HISTORY = serviceKey<AlertsHistory>('alerts-history');

export const CHANGE_TIMES_COLLECTION = 'metrics.change-times';

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
/** Sentry levels are fatal/error/warning/info/debug (sentry.md); fold them into four bounded values. */
export function severityOf(level: string | undefined): string {
  if (level === 'fatal') return 'critical';
  if (level === 'debug') return 'info';
  return level && SEVERITIES.has(level) ? level : 'error';
}

const parseTime = (iso: string | undefined): number | undefined => {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * Sentry's alert cards as alert records. The card state keeps no per-transition times, so:
 * opened = `firstSeen` (else the first post); resolved/acknowledged = `updatedAt` while the card is in
 * that state (the last change is the transition unless events fold in afterwards: an approximation).
 */
export function sentryAlertRecord(s: AlertState): AlertRecord {
  const posted = Object.values(s.posted ?? {});
  const openedAt = parseTime(s.firstSeen) ?? (posted.length ? Math.min(...posted) : s.updatedAt);
  return {
    key: s.key,
    source: 'sentry',
    title: s.title,
    severity: severityOf(s.level),
    product: s.product,
    env: s.environment,
    release: s.release,
    openedAt,
    ...(s.status === 'acked' ? { acknowledgedAt: s.updatedAt } : {}),
    ...(s.status === 'resolved' ? { resolvedAt: s.updatedAt } : {}),
    count: s.count,
  };
}

export const sentryAlertsHistory: AlertsHistory = async (store) => {
  const docs = await store.collection<AlertState>(ALERTS_COLLECTION, { tier: 'hot' }).list();
  return docs.map(sentryAlertRecord);
};

/** Deploy tasks of `product` (all when undefined), oldest first. */
export async function deployRecords(store: Store, product?: string): Promise<DeployRecord[]> {
  const tasks = await store.collection<DeployTask>('tasks', { tier: 'hot' }).list(product ? { filter: (t) => t.product === product } : {});
  return tasks;
}

/** Change times from both sources; the earliest wins for a product+release. */
export async function changeTimes(store: Store): Promise<ChangeTime[]> {
  const byKey = new Map<string, ChangeTime>();
  const add = (c: ChangeTime) => {
    const k = `${c.product}/${c.release}`;
    const cur = byKey.get(k);
    if (!cur || c.at < cur.at) byKey.set(k, c);
  };
  const releases = await store.collection<Release>('releases', { tier: 'hot' }).list({ filter: (r) => !!r.createdBy?.startsWith('gitlab:') && r.createdAt !== undefined });
  for (const r of releases) add({ product: r.product, release: r.version, at: r.createdAt! });
  for (const c of await store.collection<ChangeTime>(CHANGE_TIMES_COLLECTION, { tier: 'hot' }).list()) add(c);
  return [...byKey.values()];
}

/** Records a tag on a product's project as the change time of the release of the same name (first tag wins). */
export async function recordChangeTime(store: Store, c: ChangeTime): Promise<void> {
  await store.collection<ChangeTime>(CHANGE_TIMES_COLLECTION, { tier: 'hot' }).insertIfAbsent(`${c.product}/${c.release}`, c);
}

/** Everything the measures need for one product (all products when undefined). */
export async function loadHistory(store: Store, alerts: AlertsHistory, product?: string): Promise<History> {
  const [deploys, allAlerts, changes] = await Promise.all([deployRecords(store, product), alerts(store), changeTimes(store)]);
  return {
    deploys,
    alerts: product ? allAlerts.filter((a) => a.product === product) : allAlerts,
    changes: product ? changes.filter((c) => c.product === product) : changes,
  };
}
