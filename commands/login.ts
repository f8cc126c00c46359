import { z } from 'zod';
import { defineCommand } from '../src/core/define-command.ts';
import { text } from '../src/core/message.ts';
import { WEB_LOGIN } from '../src/web/login.ts';

/**
 * `/login`: a one-time, short-lived link that signs the sender in to the web console as their
 * configured person (issue 20 §3). The link goes to a direct chat only (src/web/login.ts).
 */
export default defineCommand({
  name: 'login',
  aliases: ['登录'],
  summary: { 'zh-CN': '获取 Web 控制台的一次性登录链接（私信发送）', en: 'Get a one-time sign-in link for the web console (sent privately)' },
  params: [],
  args: z.object({}),
  examples: ['/login'],
  uses: { web: WEB_LOGIN },
  permission: 'anyone',
  async run({ message, person, web, t }) {
    if (!person) return text(t('web.login.unknown'));
    // The private chat is settled before a token exists: a refused /login leaves no usable token behind.
    const to = web.privateChatOf(message);
    if (!to) return text(t('web.login.noPrivate'));
    const url = await web.loginUrl({ personId: person.id, name: person.name, sender: message.sender, chat: message.chat });
    if (!url) return text(t('web.login.noPublicUrl'));
    const link = text(t('web.login.reply', { minutes: web.ttlMinutes, url }));
    if (to === message.chat) return link;
    await web.send(to, link, message);
    return text(t('web.login.sentPrivately'));
  },
});
