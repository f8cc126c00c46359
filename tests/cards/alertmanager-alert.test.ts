import { describe, expect, it } from 'vitest';
import { alertmanagerAlertCard, durationText, type AlertmanagerAlertView } from '../../cards/alertmanager-alert.ts';
import { cardToText } from '../../cards/model.ts';
import { registerMessages, t } from '../../src/core/i18n.ts';
import { alertmanagerMessages } from '../../src/sources/alertmanager/messages.ts';

registerMessages(alertmanagerMessages);
const zh = (key: string, vars?: Record<string, string | number>) => t('zh-CN', key, vars);
const base: AlertmanagerAlertView = {
  key: '1a2b3c4d5e6f7081',
  alertname: 'HighErrorRate',
  severity: 'critical',
  summary: '5xx above 5%',
  description: 'error ratio over 5 minutes',
  labels: [['instance', 'a:9090']],
  startsAt: '2026-12-02T05:00:00Z',
  status: 'open',
  count: 1,
  generatorURL: 'http://prometheus.local/graph',
  alertmanagerURL: 'http://am.local/#/alerts',
};

describe('alertmanager alert card', () => {
  it('firing: severity title, since, labels, Ack / Silence 1h / Silence 4h / Rollback buttons and both links', () => {
    const text = cardToText(alertmanagerAlertCard({ ...base, rollback: { product: 'demo', env: 'prod' } }, zh));
    expect(text).toContain('[CRITICAL] HighErrorRate: 5xx above 5%');
    expect(text).toContain('2026-12-02 05:00:00 UTC');
    expect(text).toContain('a:9090');
    for (const c of ['/am ack 1a2b3c4d5e6f7081', '/am silence 1a2b3c4d5e6f7081 1h', '/am silence 1a2b3c4d5e6f7081 4h', '/rollback demo prod']) expect(text).toContain(c);
    expect(text).toContain('http://prometheus.local/graph');
    expect(text).toContain('http://am.local/#/alerts');
  });

  it('silenced: shows who set it and until when, offers Unsilence instead of Silence', () => {
    const text = cardToText(alertmanagerAlertCard({ ...base, silence: { by: 'Alice', until: '2026-12-02T06:00:00Z' } }, zh));
    expect(text).toContain('Alice 设置，至 2026-12-02 06:00:00 UTC');
    expect(text).toContain('/am unsilence 1a2b3c4d5e6f7081');
    expect(text).not.toContain('/am silence');
  });

  it('resolved: 已恢复 with the duration, no action buttons', () => {
    const text = cardToText(alertmanagerAlertCard({ ...base, status: 'resolved', statusBy: 'Alertmanager', endsAt: '2026-12-02T06:02:05Z' }, zh));
    expect(text).toContain('[已恢复] HighErrorRate');
    expect(text).toContain('1h 2m');
    expect(text).not.toContain('/am ');
    expect(durationText(45_000)).toBe('45s');
    expect(durationText(26 * 3_600_000)).toBe('1d 2h');
  });
});
