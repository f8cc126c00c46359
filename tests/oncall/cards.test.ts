// The on-call, freeze and mute cards as text, in the default zh-CN and in English (cards are pure).
import { describe, expect, it } from 'vitest';
import { freezesCard } from '../../cards/freezes.ts';
import { cardToText } from '../../cards/model.ts';
import { mutesCard } from '../../cards/mutes.ts';
import { handoffCard, oncallNowCard } from '../../cards/oncall.ts';
import { registerMessages, t as translate, type Locale } from '../../src/core/i18n.ts';
import { freezeMessages } from '../../src/freeze/messages.ts';
import { muteMessages } from '../../src/mute/messages.ts';
import { oncallMessages } from '../../src/oncall/messages.ts';
import type { OnCallNow } from '../../src/oncall/service.ts';

registerMessages(oncallMessages);
registerMessages(freezeMessages);
registerMessages(muteMessages);
const tr = (l: Locale) => (k: string, v?: Record<string, string | number>) => translate(l, k, v);
const names: Record<string, string> = { alice: 'Alice', bob: 'Bob', carol: 'Carol' };
const name = (id: string | undefined) => (id ? (names[id] ?? id) : '-');

const now: OnCallNow = {
  schedule: 'payments-primary',
  timezone: 'Asia/Shanghai',
  primary: 'alice',
  secondary: 'carol',
  next: 'bob',
  nextSecondary: 'carol',
  handoffAt: Date.parse('2026-12-07T02:00:00Z'),
  shift: { index: 0, start: Date.parse('2026-11-30T02:00:00Z'), end: Date.parse('2026-12-07T02:00:00Z') },
  overrides: {},
};

describe('on-call cards', () => {
  it('/oncall in zh-CN and en', () => {
    const zh = cardToText(oncallNowCard(now, { team: 'payments', name }, tr('zh-CN')));
    expect(zh).toContain('值班：payments (payments-primary)');
    expect(zh).toContain('主值班: Alice');
    expect(zh).toContain('交接时间: 2026-12-07 10:00');
    const en = cardToText(oncallNowCard(now, { name }, tr('en')));
    expect(en).toContain('On call: payments-primary');
    expect(en).toContain('Next: Bob / Carol');
  });

  it('the handoff card lists at most ten open items and counts the rest', () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ source: 'sentry', title: `issue ${i}` }));
    const text = cardToText(handoffCard(now, { previous: 'bob', name, items }, tr('en')));
    expect(text).toContain('Alice takes over from Bob until 2026-12-07 10:00');
    expect(text).toContain('Still open and unacknowledged (12)');
    expect(text).toContain('- issue 9');
    expect(text).not.toContain('- issue 10');
    expect(text).toContain('… and 2 more');
  });

  it('freezes and mutes', () => {
    const f = cardToText(freezesCard([{ product: 'demo', reason: '国庆', by: 'config', since: 0, until: Date.parse('2026-10-02T16:00:00Z'), source: 'config', allowRollback: false }], tr('zh-CN')));
    expect(f).toContain('**demo 所有环境**: 国庆 · 配置的冻结窗口 · → 2026-10-03 00:00');
    expect(cardToText(mutesCard([], tr('en')))).toContain('Nothing is muted');
  });
});
