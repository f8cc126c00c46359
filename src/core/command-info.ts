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
    permission: permissionText(spec.permission, t),
    confirm: Boolean(spec.confirm),
  };
}

/** `anyone`, `deployer`, or for a product-scoped command `deployer (or for one product: deployer:<product>)`. */
function permissionText(p: CommandSpec['permission'], t: Translate): string {
  if (p === 'anyone') return t('core.help.anyone');
  const roles = p.roles.join(' / ');
  return p.scope ? t('core.help.scoped', { roles, scoped: p.roles.map((r) => `${r}:<product>`).join(' / ') }) : roles;
}
