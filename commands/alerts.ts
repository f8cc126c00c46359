import { z } from 'zod';
import { when } from '../cards/sentry-alert.ts';
import { text } from '../src/core/message.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { ALERTS } from '../src/alerts/board.ts';

/** `/alerts [product]`: what is firing now, from every alert source (Sentry, Alertmanager). */
export default defineCommand({
  name: 'alerts',
  summary: { 'zh-CN': '查看当前未恢复的告警（Sentry 与 Prometheus）', en: 'What is firing now (Sentry and Prometheus)' },
  params: ['product'],
  args: z.object({ product: z.string().optional() }),
  examples: ['/alerts', '/alerts demo'],
  uses: { board: ALERTS },
  permission: 'anyone',
  async run(ctx) {
    const { product } = ctx.args;
    const list = await ctx.board.open(product);
    const mutes = (await ctx.board.mutes()).filter((m) => product === undefined || m.kind === 'project' || m.target === product);
    const isMuted = (a: { product?: string | undefined; project?: string | undefined }) => mutes.some((m) => (m.kind === 'product' ? m.target === a.product : m.target === a.project));
    const muteLines = mutes.length ? [ctx.t('alerts.mutes'), ...mutes.map((m) => ctx.t('alerts.muteLine', { target: m.target, reason: m.reason, by: m.by, until: when(new Date(m.until).toISOString()) ?? '?' }))] : [];
    if (list.length === 0) return text([product ? ctx.t('alerts.noneFor', { product }) : ctx.t('alerts.none'), ...muteLines].join('\n'));
    const lines = list.slice(0, 30).map((a) =>
      ctx.t('alerts.line', {
        source: a.source,
        severity: a.severity,
        title: a.title,
        product: a.product ? ` (${a.product})` : '',
        since: when(a.since) ?? '?',
        state: (a.status === 'acked' ? ` · ${ctx.t('alerts.acked')}` : '') + (a.silenced ? ` · ${ctx.t('alerts.silenced')}` : '') + (isMuted(a) ? ` · ${ctx.t('alerts.muted')}` : ''),
      }),
    );
    if (list.length > 30) lines.push(`… +${list.length - 30}`);
    return text([ctx.t('alerts.title', { n: list.length }), ...lines, ...muteLines].join('\n'));
  },
});
