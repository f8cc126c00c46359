import { z } from 'zod';
import { whoamiCard } from '../cards/core.ts';
import { cardReply } from '../src/core/message.ts';
import { defineCommand } from '../src/core/define-command.ts';

export default defineCommand({
  name: 'whoami',
  aliases: ['我是谁'],
  summary: { 'zh-CN': '查看你的平台 ID、人员和角色', en: 'Show your platform id, person and roles' },
  params: [],
  args: z.object({}),
  examples: ['/whoami'],
  permission: 'anyone',
  async run({ message, person, t }) {
    return cardReply(
      whoamiCard(
        { platform: message.platform, id: message.sender.id, ...(person ? { person: `${person.name} (${person.id})` } : {}), roles: person?.roles ?? [], chat: message.chat },
        t,
      ),
    );
  },
});
