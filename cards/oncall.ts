/** On-call cards (issue 18 §1): who is on duty now and next (/oncall), and the handoff card in the team chat. */
import type { OpenItem } from '../src/oncall/handoff.ts';
import type { OnCallNow } from '../src/oncall/service.ts';
import { formatLocal } from '../src/oncall/zoned-time.ts';
import { fields, markdown, note, type Card, type Field } from './model.ts';
import type { Translate } from './translate.ts';

/** Person id → display name (the configured name, else the id). */
export type NameOf = (id: string | undefined) => string;

function dutyFields(now: OnCallNow, name: NameOf, t: Translate): Field[] {
  const out: Field[] = [{ label: t('oncall.card.primary'), value: name(now.primary) + (now.overrides.primary ? ` (${t(`oncall.card.${now.overrides.primary.kind}`)})` : '') }];
  if (now.secondary !== undefined || now.nextSecondary !== undefined) {
    out.push({ label: t('oncall.card.secondary'), value: name(now.secondary) + (now.overrides.secondary ? ` (${t(`oncall.card.${now.overrides.secondary.kind}`)})` : '') });
  }
  return out;
}

export function oncallNowCard(now: OnCallNow, o: { team?: string | undefined; name: NameOf }, t: Translate): Card {
  const when = Number.isFinite(now.handoffAt) ? formatLocal(now.timezone, now.handoffAt) : '-';
  const next = o.name(now.next) + (now.nextSecondary !== undefined ? ` / ${o.name(now.nextSecondary)}` : '');
  return {
    title: t('oncall.card.title', { target: o.team && o.team !== now.schedule ? `${o.team} (${now.schedule})` : now.schedule }),
    tone: 'info',
    blocks: [fields([...dutyFields(now, o.name, t), { label: t('oncall.card.next'), value: next }, { label: t('oncall.card.handoff'), value: when }])],
  };
}

export function handoffCard(now: OnCallNow, o: { previous?: string | undefined; name: NameOf; items: readonly OpenItem[]; itemsLimit?: number }, t: Translate): Card {
  const limit = o.itemsLimit ?? 10;
  const blocks = [
    // An override across the handoff can keep the same person on: say so rather than "A takes over from A".
    markdown(t(o.previous === now.primary ? 'oncall.handoff.stays' : 'oncall.handoff.body', { person: o.name(now.primary), previous: o.name(o.previous), until: Number.isFinite(now.handoffAt) ? formatLocal(now.timezone, now.handoffAt) : '-' })),
    fields(dutyFields(now, o.name, t)),
  ];
  if (o.items.length === 0) blocks.push(note(t('oncall.handoff.nothingOpen')));
  else {
    const lines = o.items.slice(0, limit).map((i) => `- ${i.url ? `[${i.title}](${i.url})` : i.title}${i.since !== undefined ? ` · ${formatLocal(now.timezone, i.since)}` : ''}`);
    if (o.items.length > limit) lines.push(t('oncall.handoff.more', { count: o.items.length - limit }));
    blocks.push(markdown(`${t('oncall.handoff.open', { count: o.items.length })}\n${lines.join('\n')}`));
  }
  return { title: t('oncall.handoff.title', { schedule: now.schedule }), tone: 'info', blocks };
}
