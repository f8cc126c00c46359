import { z } from 'zod';
import { helpCommandCard, helpListCard } from '../cards/help.ts';
import { cardReply } from '../src/core/message.ts';
import { defineCommand } from '../src/core/define-command.ts';
import { commandInfo } from '../src/core/command-info.ts';
import { UserFacingError } from '../src/core/errors.ts';
import { suggest } from '../src/core/suggest.ts';
import { COMMANDS } from '../src/core/services.ts';

export default defineCommand({
  name: 'help',
  aliases: ['h', '帮助'],
  summary: { 'zh-CN': '列出命令，或查看某个命令的用法', en: 'List commands, or show how to use one' },
  params: ['command'],
  args: z.object({ command: z.string().optional() }),
  examples: ['/help', '/help deploy'],
  uses: { commands: COMMANDS },
  permission: 'anyone',
  async run({ args, commands, t, locale }) {
    const specs = commands.list();
    if (!args.command) return cardReply(helpListCard(specs.map((s) => commandInfo(s, t, locale)), t));
    const name = args.command.replace(/^[/／]/, '');
    const spec = commands.get(name);
    if (!spec) {
      const close = suggest(name, specs.map((s) => s.name));
      throw new UserFacingError('E_UNKNOWN_COMMAND', t('core.unknown.title', { name }) + (close ? '. ' + t('core.unknown.suggest', { suggestion: close }) : ''));
    }
    return cardReply(helpCommandCard(commandInfo(spec, t, locale), t));
  },
});
