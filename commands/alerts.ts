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
    if (list.length === 0) return text(product ? ctx.t('alerts.noneFor', { product }) : ctx.t('alerts.none'));
    const lines = list.slice(0, 30).map((a) =>
      ctx.t('alerts.line', {
        source: a.source,
        severity: a.severity,
        title: a.title,
        product: a.product ? ` (${a.product})` : '',
        since: when(a.since) ?? '?',
        state: (a.status === 'acked' ? ` · ${ctx.t('alerts.acked')}` : '') + (a.silenced ? ` · ${ctx.t('alerts.silenced')}` : ''),
      }),
    );
    if (list.length > 30) lines.push(`… +${list.length - 30}`);
    return text([ctx.t('alerts.title', { n: list.length }), ...lines].join('\n'));
  },
});
