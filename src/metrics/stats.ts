/**
 * The figures behind `/stats` and the weekly digest, read from the store on demand (history.ts) and
 * computed by the pure measures (dora.ts).
 */
import type { Config } from '../config/schema.ts';
import { serviceKey } from '../core/feature.ts';
import type { Locale } from '../core/i18n.ts';
import type { ProductsConfig } from '../deploy/config.ts';
import { DeployModel } from '../deploy/model.ts';
import type { Store } from '../store/types.ts';
import { dora, median, periodsOf, DAY_MS, type DoraFigures, type DoraOptions } from './dora.ts';
import { loadHistory, type AlertRecord, type AlertsHistory } from './history.ts';

export interface NoisyAlert {
  title: string;
  count: number;
  severity: string;
  product?: string | undefined;
}

export interface StatsView {
  product: string;
  days: number;
  current: DoraFigures;
  previous: DoraFigures;
  environments: { env: string; figures: DoraFigures }[];
  noisy: NoisyAlert[];
}

export interface DigestView {
  team: string;
  products: string[];
  from: number;
  to: number;
  deploys: number;
  failures: number;
  rollbacks: number;
  alertsBySeverity: Record<string, number>;
  noisy: NoisyAlert[];
  /** Median, ms; undefined when no alert was acknowledged. */
  timeToAcknowledgeMs: number | undefined;
}

export interface StatsService {
  /** Throws a UserFacingError for an unknown product. */
  stats(product: string, days: number): Promise<StatsView>;
  digest(team: string): Promise<DigestView>;
}

export const STATS = serviceKey<StatsService>('stats', 'metrics.error.notConfigured');

/** The noisiest alerts active in the period (opened in it, or still open, or resolved in it). */
export function noisiest(alerts: AlertRecord[], from: number, to: number, n = 3): NoisyAlert[] {
  const active = alerts.filter((a) => a.openedAt < to && (a.resolvedAt === undefined || a.resolvedAt >= from));
  return active
    .sort((a, b) => b.count - a.count || a.openedAt - b.openedAt)
    .slice(0, n)
    .map((a) => ({ title: a.title, count: a.count, severity: a.severity, ...(a.product ? { product: a.product } : {}) }));
}

export function createStatsService(d: { config: Config; store: Store; clock: () => number; locale: Locale; alerts: () => AlertsHistory }): StatsService {
  const options = (): DoraOptions => ({ failureWindowMs: d.config.metrics.changeFailureWindowHours * 3_600_000 });
  const model = new DeployModel(d.config.products as ProductsConfig, d.locale);
  return {
    async stats(product, days) {
      const p = model.product(product);
      const h = await loadHistory(d.store, d.alerts(), product);
      const { current, previous } = periodsOf(days, d.clock());
      return {
        product,
        days,
        current: dora(h, current, options()),
        previous: dora(h, previous, options()),
        environments: Object.keys(p.environments).map((env) => ({ env, figures: dora(h, current, options(), env) })),
        noisy: noisiest(h.alerts, current.from, current.to),
      };
    },
    async digest(team) {
      const products = Object.entries(d.config.products).filter(([, p]) => p.team === team).map(([id]) => id);
      const to = d.clock();
      const from = to - 7 * DAY_MS;
      const all = await loadHistory(d.store, d.alerts());
      const mine = new Set(products);
      const deploys = all.deploys.filter((t) => mine.has(t.product) && t.finishedAt !== undefined && t.finishedAt >= from && t.finishedAt < to);
      const alerts = all.alerts.filter((a) => a.product !== undefined && mine.has(a.product));
      const opened = alerts.filter((a) => a.openedAt >= from && a.openedAt < to);
      const bySeverity: Record<string, number> = {};
      for (const a of opened) bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
      const acks = opened.flatMap((a) => (a.acknowledgedAt !== undefined ? [a.acknowledgedAt - a.openedAt] : []));
      return {
        team,
        products,
        from,
        to,
        deploys: deploys.filter((t) => t.kind === 'deploy' && t.state === 'succeeded').length,
        failures: deploys.filter((t) => t.state === 'failed').length,
        rollbacks: deploys.filter((t) => t.kind === 'rollback' && t.state === 'succeeded').length,
        alertsBySeverity: bySeverity,
        noisy: noisiest(alerts, from, to, 5),
        timeToAcknowledgeMs: median(acks),
      };
    },
  };
}
