/**
 * DORA as Prometheus gauges (issue 21 §2: "as Prometheus series that Grafana can chart"), computed at
 * scrape time from the store for every configured product × environment × window, and reused for
 * `doraCacheSeconds` (a scrape every few seconds must not re-read the store each time). Gauges, not
 * counters: they are figures over a sliding window (no `_total`; prometheus.io naming). A figure that
 * is undefined (no changes, nothing restored) is left out rather than exported as 0.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/types.ts';
import { dora, periodsOf, type DoraFigures } from './dora.ts';
import { loadHistory, type AlertsHistory } from './history.ts';

/** Bounded window label values; the same windows `/stats` offers. */
export const WINDOWS = { '7d': 7, '30d': 30, '90d': 90 } as const;

interface Row {
  labels: { product: string; env: string; window: string };
  f: DoraFigures;
}

export function registerDoraSeries(registry: Registry, d: { config: Config; store: Store; clock: () => number; alerts: () => AlertsHistory }): void {
  // The cache ages on the process's monotonic time, not on the injected clock: it saves store reads
  // (an operational concern), while the windows themselves are business time (`d.clock`).
  let cached: { at: number; rows: Promise<Row[]> } | undefined;
  const rows = (): Promise<Row[]> => {
    const mono = performance.now();
    const ttl = d.config.metrics.doraCacheSeconds * 1000;
    if (!cached || mono - cached.at >= ttl) {
      const p = compute(d.clock());
      cached = { at: mono, rows: p };
      // A failed read is not cached: the next scrape tries again.
      p.catch(() => (cached = undefined));
    }
    return cached.rows;
  };
  const compute = async (now: number): Promise<Row[]> => {
    const out: Row[] = [];
    const failureWindowMs = d.config.metrics.changeFailureWindowHours * 3_600_000;
    // One read of the store per computation, split by product (not one read per product).
    const all = await loadHistory(d.store, d.alerts());
    for (const [product, p] of Object.entries(d.config.products)) {
      const h = { deploys: all.deploys.filter((x) => x.product === product), alerts: all.alerts.filter((x) => x.product === product), changes: all.changes.filter((x) => x.product === product) };
      for (const [window, days] of Object.entries(WINDOWS)) {
        const period = periodsOf(days, now).current;
        for (const env of Object.keys(p.environments)) out.push({ labels: { product, env, window }, f: dora(h, period, { failureWindowMs }, env) });
      }
    }
    return out;
  };
  const gauge = (name: string, help: string, value: (f: DoraFigures) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['product', 'env', 'window'],
      registers: [registry],
      async collect() {
        const rs = await rows().catch(() => undefined);
        if (!rs) return;
        this.reset();
        for (const r of rs) {
          const v = value(r.f);
          if (v !== undefined) this.set(r.labels, v);
        }
      },
    });
  gauge('opsbot_dora_deployments', 'Successful deploys (changes) in the window', (f) => f.deployments);
  gauge('opsbot_dora_changes', 'Deploys judged (succeeded or failed) in the window', (f) => f.changes);
  gauge('opsbot_dora_failed_changes', 'Changes that failed: the deploy failed, was rolled back, its release failed elsewhere, or an alert followed', (f) => f.failedChanges);
  gauge('opsbot_dora_change_failure_ratio', 'Failed changes / changes in the window (0..1)', (f) => f.changeFailureRate);
  gauge('opsbot_dora_lead_time_seconds', 'Median time from the merge/tag of a release to its first successful deploy', (f) => (f.leadTimeMs === undefined ? undefined : f.leadTimeMs / 1000));
  gauge('opsbot_dora_time_to_restore_seconds', 'Median time from an incident (alert, failed deploy) to its restoration', (f) => (f.timeToRestoreMs === undefined ? undefined : f.timeToRestoreMs / 1000));
}
