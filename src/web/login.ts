/**
 * The sign-in service /login uses (commands/login.ts): a one-time link for the sender's person, sent
 * where only that person reads it. In a group the link must never be posted there (anyone in the group
 * could open it), so it goes to the sender's direct chat with the bot, or /login refuses.
 */
import type { Config } from '../config/schema.ts';
import { serviceKey } from '../core/feature.ts';
import type { IncomingMessage, Reply } from '../core/message.ts';
import type { Outbox } from '../core/services.ts';
import type { Sessions } from './sessions.ts';

export interface WebLogin {
  /** Minutes a login link can be used. */
  readonly ttlMinutes: number;
  /** Where a private answer to this message goes: its own chat when direct, else the sender's direct chat, else undefined. */
  privateChatOf(msg: IncomingMessage): string | undefined;
  /** A one-time sign-in URL for this person (undefined without `server.publicUrl`). */
  loginUrl(g: { personId: string; name: string; sender: IncomingMessage['sender']; chat: string }): Promise<string | undefined>;
  send(to: string, reply: Reply, inReplyTo: IncomingMessage): Promise<void>;
}

export const WEB_LOGIN = serviceKey<WebLogin>('web.login', 'web.error.notConfigured');

/**
 * A sender's direct chat with the bot, per platform (the address forms are the adapters':
 * dingtalk/targets.ts `dingtalk:user:<staffId>`, the WeCom self-built app's `wecom:<userid>`,
 * the capture adapter's `test:<id>`). Unknown platforms: none, and /login in a group refuses.
 */
export function directChatOf(msg: IncomingMessage, config: Config): string | undefined {
  if (msg.chatType === 'direct') return msg.chat;
  const id = msg.sender.id;
  if (msg.platform === 'dingtalk' && config.chat.dingtalk) return `dingtalk:user:${id}`;
  if (msg.platform === 'wecom' && config.chat.wecom) return `wecom:${id}`;
  if (msg.platform === 'test') return `test:dm-${id}`;
  return undefined;
}

export function createWebLogin(o: { config: Config; sessions: Sessions; outbox: Outbox; publicUrl: string | undefined; ttlMinutes: number }): WebLogin {
  const base = o.publicUrl?.replace(/\/+$/, '');
  return {
    ttlMinutes: o.ttlMinutes,
    privateChatOf: (msg) => directChatOf(msg, o.config),
    async loginUrl(g) {
      if (!base) return undefined;
      const token = await o.sessions.grant(g);
      return `${base}/ui/login?token=${token}`;
    },
    send: (to, reply, inReplyTo) => o.outbox.send({ to, reply, ...(to === inReplyTo.chat ? { inReplyTo } : {}) }),
  };
}
