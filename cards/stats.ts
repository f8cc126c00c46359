/**
 * `/stats <product> [7d|30d|90d]`: the four DORA figures with their trend against the previous period,
 * one line per environment, and the worst offenders (failed changes, noisiest alerts). Pure.
 */
import type { DoraFigures } from '../src/metrics/dora.ts';
import type { StatsView } from '../src/metrics/stats.ts';
import { fields, markdown, type Block, type Card } from './model.ts';
import { formatDuration, formatRate, formatRatio, trendArrow } from './stats-format.ts';
import type { Translate } from './translate.ts';

function figures(f: DoraFigures, t: Translate) {
  const none = t('metrics.stats.none');
  return {
    frequency: t('metrics.stats.deployFrequencyValue', { count: f.deployments, perDay: formatRate(f.deploymentsPerDay) }),
    lead: formatDuration(f.leadTimeMs, none),
    cfr: f.changes ? t('metrics.stats.changeFailureRateValue', { rate: formatRatio(f.changeFailureRate, none), failed: f.failedChanges, changes: f.changes }) : none,
    ttr: t('metrics.stats.timeToRestoreValue', { value: formatDuration(f.timeToRestoreMs, none), restored: f.restored, open: f.stillOpen }),
  };
}

export function statsCard(v: StatsView, t: Translate): Card {
  const now = figures(v.current, t);
  const before = figures(v.previous, t);
  const trend = (arrow: string, value: string) => `${arrow ? arrow + ' ' : ''}${t('metrics.stats.trend', { value })}`;
  const c = v.current;
  const p = v.previous;
  const blocks: Block[] = [
    fields([
      { label: t('metrics.stats.deployFrequency'), value: `${now.frequency}\n${trend(trendArrow(c.deployments, p.deployments), before.frequency)}` },
      { label: t('metrics.stats.leadTime'), value: `${now.lead}\n${trend(trendArrow(c.leadTimeMs, p.leadTimeMs), before.lead)}` },
      { label: t('metrics.stats.changeFailureRate'), value: `${now.cfr}\n${trend(trendArrow(c.changeFailureRate, p.changeFailureRate), before.cfr)}` },
      { label: t('metrics.stats.timeToRestore'), value: `${now.ttr}\n${trend(trendArrow(c.timeToRestoreMs, p.timeToRestoreMs), before.ttr)}` },
    ]),
  ];
  const none = t('metrics.stats.none');
  const envLines = v.environments.map(({ env, figures: f }) =>
    t('metrics.stats.envLine', { env, deploys: f.deployments, rate: formatRatio(f.changeFailureRate, none), ttr: formatDuration(f.timeToRestoreMs, none) }),
  );
  if (envLines.length) blocks.push(markdown(envLines.join('\n')));
  if (c.failures.length) {
    const worst = [...c.failures].sort((a, b) => b.at - a.at).slice(0, 5);
    const lines = worst.map((f) => t('metrics.stats.offender', { id: f.taskId, release: f.release, env: f.env, cause: t(`metrics.cause.${f.cause}`) }));
    blocks.push(markdown(`**${t('metrics.stats.offenders')}**\n${lines.join('\n')}`));
  }
  if (v.noisy.length) {
    const lines = v.noisy.map((a) => t('metrics.stats.noisyLine', { title: a.title, count: a.count, severity: a.severity }));
    blocks.push(markdown(`**${t('metrics.stats.noisy')}**\n${lines.join('\n')}`));
  }
  const tone = c.changeFailureRate !== undefined && c.changeFailureRate > 0.3 ? 'warning' : 'info';
  return { title: t('metrics.stats.title', { product: v.product, days: v.days }), tone, blocks };
}
