/** The freezes in force, for /status (issue 18 §4 "/status shows freezes"). */
import type { Freeze } from '../src/freeze/service.ts';
import { markdown, type Card } from './model.ts';
import type { Translate } from './translate.ts';
import { DEFAULT_ZONE, formatLocal } from '../src/oncall/zoned-time.ts';

export function freezesCard(freezes: readonly Freeze[], t: Translate): Card {
  const lines = freezes.map(
    (f) =>
      `- **${f.product} ${f.env ?? t('freeze.list.allEnvs')}**: ${f.reason} · ${f.by === 'config' ? t('freeze.byConfig') : f.by} · → ${formatLocal(DEFAULT_ZONE, f.until)}`,
  );
  return { title: t('freeze.list.title'), tone: 'warning', blocks: [markdown(lines.join('\n'))] };
}
