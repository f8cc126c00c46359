import { actions, commandButton, fields, markdown, note, type Card } from './model.ts';
import type { Translate } from './translate.ts';

/** What a help card needs to know of a command (from its declaration). */
export interface CommandInfo {
  name: string;
  aliases: string[];
  summary: string;
  usage: string;
  examples: string[];
  permission: string;
  confirm: boolean;
}

/** `/help`: one line per command. */
export function helpListCard(commands: CommandInfo[], t: Translate): Card {
  return {
    title: t('core.help.title'),
    tone: 'info',
    blocks: [markdown(commands.map((c) => `- \`/${c.name}\` ${c.summary}`).join('\n')), note(t('core.help.footer'))],
  };
}

/** `/help <command>`, and the body of a usage card. */
export function helpCommandCard(c: CommandInfo, t: Translate): Card {
  const fs = [{ label: t('core.help.usage'), value: `\`${c.usage}\`` }];
  if (c.aliases.length > 0) fs.push({ label: t('core.help.aliases'), value: c.aliases.map((a) => `/${a}`).join(', ') });
  fs.push({ label: t('core.help.permission'), value: c.permission + (c.confirm ? ` (${t('core.help.confirm')})` : '') });
  const blocks = [markdown(c.summary), fields(fs)];
  if (c.examples.length > 0) blocks.push(markdown(`${t('core.help.examples')}:\n${c.examples.map((e) => `- \`${e}\``).join('\n')}`));
  return { title: t('core.help.command.title', { name: c.name }), tone: 'info', blocks };
}

/** Bad arguments: what is wrong, then the usage and examples. */
export function usageCard(c: CommandInfo, problems: string[], t: Translate): Card {
  const help = helpCommandCard(c, t);
  return { title: t('core.usage.title', { name: c.name }), tone: 'warning', blocks: [markdown(problems.map((p) => `- ${p}`).join('\n')), ...help.blocks] };
}

/** Unknown command, with the closest known one as a button. */
export function unknownCommandCard(name: string, suggestion: string | undefined, t: Translate): Card {
  const blocks = [];
  if (suggestion) {
    blocks.push(markdown(t('core.unknown.suggest', { suggestion })));
    blocks.push(actions([commandButton(`/help ${suggestion}`, `/help ${suggestion}`)]));
  }
  blocks.push(note(t('core.unknown.help')));
  return { title: t('core.unknown.title', { name }), tone: 'warning', blocks };
}
