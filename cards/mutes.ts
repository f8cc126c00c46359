/** The quiet windows in force (`/mute` without arguments; the alert engine may show the same list in /alerts). */
import type { Mute } from '../src/mute/service.ts';
import { DEFAULT_ZONE, formatLocal } from '../src/oncall/zoned-time.ts';
import { markdown, type Card } from './model.ts';
import type { Translate } from './translate.ts';

export function mutesCard(mutes: readonly Mute[], t: Translate): Card {
  if (mutes.length === 0) return { title: t('mute.list.none'), tone: 'info', blocks: [] };
  const lines = mutes.map((m) => `- **${m.target}**: ${m.reason} · ${m.by === 'config' ? t('mute.byConfig') : m.by} · → ${formatLocal(DEFAULT_ZONE, m.until)}`);
  return { title: t('mute.list.title'), tone: 'warning', blocks: [markdown(lines.join('\n'))] };
}
