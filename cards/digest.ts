/** The weekly digest card for one team (issue 21 §3): deploys, failures, rollbacks, alerts, acknowledgement. Pure. */
import type { DigestView } from '../src/metrics/stats.ts';
import { fields, markdown, note, type Block, type Card } from './model.ts';
import { formatDay, formatDuration } from './stats-format.ts';
import type { Translate } from './translate.ts';

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info'];

export function digestCard(v: DigestView, t: Translate): Card {
  const title = t('metrics.digest.title', { team: v.team, from: formatDay(v.from), to: formatDay(v.to) });
  if (!v.products.length) return { title, tone: 'info', blocks: [note(t('metrics.digest.noProducts'))] };
  const severities = Object.keys(v.alertsBySeverity).sort((a, b) => SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b));
  const alerts = severities.length ? severities.map((s) => `${s} ${v.alertsBySeverity[s]}`).join(' · ') : '0';
  const blocks: Block[] = [
    fields([
      { label: t('metrics.digest.deploys'), value: String(v.deploys) },
      { label: t('metrics.digest.failures'), value: String(v.failures) },
      { label: t('metrics.digest.rollbacks'), value: String(v.rollbacks) },
      { label: t('metrics.digest.alerts'), value: alerts },
      { label: t('metrics.digest.ack'), value: formatDuration(v.timeToAcknowledgeMs, t('metrics.stats.none')) },
    ]),
  ];
  if (v.noisy.length) {
    const lines = v.noisy.map((a) => t('metrics.stats.noisyLine', { title: a.product ? `${a.product}: ${a.title}` : a.title, count: a.count, severity: a.severity }));
    blocks.push(markdown(`**${t('metrics.digest.noisy')}**\n${lines.join('\n')}`));
  }
  blocks.push(note(v.products.join(', ')));
  return { title, tone: v.failures ? 'warning' : 'info', blocks };
}
