/** Where an OpenAPI send goes: a group, or a single chat with one person (robot OpenAPI §4.4). */
import type { IncomingMessage, OutgoingMessage } from '../../core/message.ts';
import type { DingtalkReplyContext } from './parse.ts';

export type Target = { kind: 'group'; openConversationId: string } | { kind: 'direct'; userId: string };

export class ChatTargets {
  /** conversationId → staffId of single chats seen (so `dingtalk:<cid>` of a 1:1 chat can be pushed to). */
  private readonly directChats = new Map<string, string>();

  /** Learn from an incoming message (single-chat conversation → user). */
  observe(msg: IncomingMessage): void {
    const ctx = msg.replyContext as DingtalkReplyContext | undefined;
    if (ctx?.conversationType === '1' && ctx.senderStaffId) this.directChats.set(ctx.conversationId, ctx.senderStaffId);
  }

  /**
   * Where an OpenAPI send goes. Addresses: `dingtalk:<openConversationId>` (a group, or a single
   * chat we have seen), `dingtalk:user:<staffId>` (a single chat with the robot).
   */
  of(msg: OutgoingMessage): Target {
    const rest = msg.to.startsWith('dingtalk:') ? msg.to.slice('dingtalk:'.length) : msg.to;
    if (rest.startsWith('user:')) return { kind: 'direct', userId: rest.slice('user:'.length) };
    const ctx = msg.inReplyTo?.chat === msg.to ? (msg.inReplyTo.replyContext as DingtalkReplyContext | undefined) : undefined;
    if (ctx?.conversationType === '1') {
      return { kind: 'direct', userId: ctx.senderStaffId ?? msg.inReplyTo?.sender.id ?? '' };
    }
    if (msg.inReplyTo?.chat === msg.to && msg.inReplyTo.chatType === 'direct') return { kind: 'direct', userId: msg.inReplyTo.sender.id };
    const staff = this.directChats.get(rest);
    if (staff) return { kind: 'direct', userId: staff };
    return { kind: 'group', openConversationId: rest };
  }
}
