/** Turns a command declaration into what help and usage cards show. */
import type { CommandInfo } from '../../cards/help.ts';
import type { Translate } from '../../cards/translate.ts';
import type { CommandSpec } from './define-command.ts';
import { usageLine } from './registry.ts';
import { t as translate, type Locale } from './i18n.ts';

export function commandInfo(spec: CommandSpec, t: Translate, locale?: Locale): CommandInfo {
  const loc: Locale = locale ?? (t('core.help.anyone') === translate('en', 'core.help.anyone') ? 'en' : 'zh-CN');
  return {
    name: spec.name,
    aliases: spec.aliases ?? [],
    summary: spec.summary[loc],
    usage: usageLine(spec),
    examples: spec.examples,
    permission: spec.permission === 'anyone' ? t('core.help.anyone') : spec.permission.roles.join(' / '),
    confirm: Boolean(spec.confirm),
  };
}
