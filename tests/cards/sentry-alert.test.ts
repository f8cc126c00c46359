import { describe, expect, it } from 'vitest';
import { sentryAlertCard, sentryDigestCard, sentryEscalationCard, when, type SentryAlertView } from '../../cards/sentry-alert.ts';
import { cardToText, type Button, type Card } from '../../cards/model.ts';
import { t } from '../../src/core/i18n.ts';

const zh = (k: string, v?: Record<string, string | number>) => t('zh-CN', k, v);
const en = (k: string, v?: Record<string, string | number>) => t('en', k, v);
const view: SentryAlertView = {
  key: '42', kind: 'issue', title: 'TypeError: 空指针', level: 'error', shortId: 'DEMO-1A', project: 'demo-web', environment: 'prod',
  culprit: 'app/pay.ts in charge', release: 'demo@1.1.0', count: 7, userCount: 3, firstSeen: '2026-11-23T09:00:00Z',
  url: 'https://sentry.io/organizations/acme/issues/42/', status: 'open', rollback: { product: 'demo', env: 'prod' },
};
const buttons = (c: Card): Button[] => c.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
const commandsOf = (c: Card) => buttons(c).map((b) => ('command' in b.action ? b.action.command : b.action.url));

describe('sentryAlertCard', () => {
  it('shows the issue facts (zh-CN default) and every action', () => {
    const c = sentryAlertCard(view, zh);
    const text = cardToText(c);
    for (const s of ['[ERROR] TypeError: 空指针', 'DEMO-1A', 'demo-web', 'prod', 'demo@1.1.0', '事件数: 7', '影响用户: 3', '首次出现: 2026-11-23 09:00:00 UTC', 'app/pay.ts in charge', '未处理']) expect(text).toContain(s);
    expect(c.tone).toBe('danger');
    expect(commandsOf(c)).toEqual([
      '/sentry ack 42', '/sentry resolve 42', '/sentry ignore 42 30m', '/sentry ignore 42 24h', '/sentry ignore 42 100x', '/sentry assign 42 me', '/rollback demo prod', 'https://sentry.io/organizations/acme/issues/42/',
    ]);
    expect(buttons(c).map((b) => b.label)).toContain('确认');
  });

  it('en labels through i18n keys', () => {
    const text = cardToText(sentryAlertCard(view, en));
    expect(text).toContain('Events: 7');
    expect(text).toContain('[Ack: /sentry ack 42]');
  });

  it('resolved: success tone, who did it, no action buttons but the link', () => {
    const c = sentryAlertCard({ ...view, status: 'resolved', statusBy: 'Alice', assignedTo: 'Bob', history: ['Alice resolved 42 in Sentry'] }, en);
    expect(c.tone).toBe('success');
    expect(cardToText(c)).toContain('Resolved by Alice · Assigned to Bob');
    expect(commandsOf(c)).toEqual(['https://sentry.io/organizations/acme/issues/42/']);
  });

  it('no rollback button without a known product/env; metric cards only ack', () => {
    const { rollback: _r, ...noRollback } = view;
    expect(commandsOf(sentryAlertCard(noRollback, en)).some((c) => c.startsWith('/rollback'))).toBe(false);
    const m = sentryAlertCard({ key: 'metric:7', kind: 'metric', title: 'Critical: My Metric Alert', count: 1, status: 'open', description: '100 events' }, en);
    expect(m.title).toBe('[Metric alert] Critical: My Metric Alert');
    expect(commandsOf(m)).toEqual(['/sentry ack metric:7']);
  });

  it('formats Sentry timestamps', () => {
    expect(when('2019-08-19T20:58:37.391000Z')).toBe('2019-08-19 20:58:37 UTC');
    expect(when('2026-11-23T09:00:00+08:00')).toBe('2026-11-23 09:00:00 +08:00');
    expect(when('yesterday')).toBe('yesterday');
    expect(when(undefined)).toBeUndefined();
  });

  it('digest and escalation cards', () => {
    const d = sentryDigestCard([{ key: '1', title: 'A', project: 'p', count: 5 }, { key: '2', title: 'B', count: 1 }], en);
    expect(d.title).toBe('Sentry alert digest (2 issues)');
    expect(cardToText(d)).toContain('- A (p) × 5');
    const e = sentryEscalationCard({ ...view, escalations: 2 }, 10, en);
    expect(e.title).toContain('[Escalation]');
    expect(cardToText(e)).toContain('within 10 min; escalation 2');
  });
});
