/** Hand-made histories for the measure tests: tasks and alerts in hours from a fixed start. */
import type { AlertRecord, DeployRecord, History } from '../../src/metrics/history.ts';

export const T0 = Date.UTC(2026, 10, 23, 0, 0, 0); // Mon 2026-11-23 00:00 UTC
export const H = 3_600_000;
export const at = (hours: number): number => T0 + hours * H;

let seq = 0;
/** A task that finished `hours` after T0 and ran `runMinutes` (default 5) before that. */
export function task(o: { env?: string; release: string; kind?: 'deploy' | 'rollback'; state?: DeployRecord['state']; hours: number; runMinutes?: number; id?: string }): DeployRecord {
  const finishedAt = at(o.hours);
  const run = (o.runMinutes ?? 5) * 60_000;
  return {
    id: o.id ?? String(++seq),
    product: 'demo',
    env: o.env ?? 'env-1',
    release: o.release,
    kind: o.kind ?? 'deploy',
    state: o.state ?? 'succeeded',
    engine: 'command',
    createdAt: finishedAt - run,
    startedAt: finishedAt - run,
    finishedAt,
  };
}

export function alert(o: { key: string; opened: number; resolved?: number; acked?: number; env?: string; release?: string; count?: number; severity?: string; title?: string }): AlertRecord {
  return {
    key: o.key,
    source: 'sentry',
    title: o.title ?? `alert ${o.key}`,
    severity: o.severity ?? 'error',
    product: 'demo',
    env: o.env,
    release: o.release,
    openedAt: at(o.opened),
    ...(o.resolved !== undefined ? { resolvedAt: at(o.resolved) } : {}),
    ...(o.acked !== undefined ? { acknowledgedAt: at(o.acked) } : {}),
    count: o.count ?? 1,
  };
}

export const history = (h: Partial<History>): History => ({ deploys: h.deploys ?? [], alerts: h.alerts ?? [], changes: h.changes ?? [] });

/** Tasks get ids in creation order unless given; reset between files is not needed (ids only need to be unique). */
export const resetIds = (): void => {
  seq = 0;
};
