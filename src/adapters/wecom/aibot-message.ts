/**
 * 智能机器人 callback bodies (chat-platforms.md §7.3; fixtures wecom-aibot-*.json) → IncomingMessage.
 * The same plaintext JSON arrives over HTTP (API mode, decrypted) and as the long-connection frame body.
 */
import { z } from 'zod';
import type { IncomingMessage } from '../../core/message.ts';
import type { WecomState } from './state.ts';

const bodySchema = z.looseObject({
  msgid: z.string().min(1),
  create_time: z.number().optional(),
  aibotid: z.string().optional(),
  chatid: z.string().optional(),
  chattype: z.enum(['single', 'group']).optional(),
  from: z.looseObject({ userid: z.string().min(1), corpid: z.string().optional() }),
  response_url: z.string().optional(),
  msgtype: z.string(),
  text: z.looseObject({ content: z.string() }).optional(),
  event: z
    .looseObject({
      eventtype: z.string(),
      template_card_event: z.looseObject({ card_type: z.string().optional(), event_key: z.string(), task_id: z.string().optional() }).optional(),
    })
    .optional(),
});
/** A parsed 智能机器人 callback body. */
export type AibotBody = z.infer<typeof bodySchema>;

/** How to answer an AI-bot message: the frame's req_id (long connection) or response_url (API mode). */
export interface AibotContext {
  via: 'aibot-ws' | 'aibot-http';
  reqId?: string;
  responseUrl?: string;
  chattype: 'single' | 'group';
  chatid?: string;
  /** Card click only: the clicked card's task_id (an update must reuse it). */
  taskId?: string;
  /** ms when the callback arrived (card updates only within 5 s, §7.4). */
  at: number;
}

/** Validate a decrypted/frame body; undefined when it is not a usable callback. */
export function parseAibotBody(v: unknown): AibotBody | undefined {
  const r = bodySchema.safeParse(v);
  return r.success ? r.data : undefined;
}

/** Strip the leading `@botname` WeCom leaves in group text (contract.md, §7.3). */
export function stripMention(text: string): string {
  return text.replace(/^\s*@\S+\s*/u, '').trim();
}

/** The chat address for an AI-bot callback: the group, or the user for single chat. */
export function aibotChat(b: AibotBody): string {
  return b.chattype === 'group' && b.chatid ? `wecom-group:${b.chatid}` : `wecom:${b.from.userid}`;
}

/** Text message or card click → IncomingMessage; undefined for anything else (stream refresh, enter_chat …). */
export async function aibotIncoming(
  b: AibotBody,
  ctx: Omit<AibotContext, 'chattype' | 'chatid' | 'responseUrl' | 'taskId'>,
  state: WecomState,
): Promise<IncomingMessage | undefined> {
  const chattype = b.chattype ?? (b.chatid ? 'group' : 'single');
  const full: AibotContext = {
    ...ctx,
    chattype,
    ...(b.chatid ? { chatid: b.chatid } : {}),
    ...(b.response_url ? { responseUrl: b.response_url } : {}),
  };
  const base = {
    platform: 'wecom' as const,
    chat: aibotChat(b),
    chatType: chattype === 'group' ? ('group' as const) : ('direct' as const),
    sender: { platform: 'wecom' as const, id: b.from.userid },
    receivedAt: ctx.at,
  };
  if (b.msgtype === 'text' && b.text) {
    return { ...base, id: b.msgid, text: chattype === 'group' ? stripMention(b.text.content) : b.text.content.trim(), replyContext: full };
  }
  const ev = b.event?.template_card_event;
  if (b.msgtype === 'event' && b.event?.eventtype === 'template_card_event' && ev) {
    const command = await state.commandFor(ev.event_key);
    if (command === undefined) return undefined;
    return {
      ...base,
      // The docs' examples reuse one msgid for a text and a click: keep click ids apart from message ids.
      id: `click:${b.msgid}:${b.from.userid}:${ev.event_key}`,
      text: command,
      fromAction: true,
      replyContext: { ...full, ...(ev.task_id ? { taskId: ev.task_id } : {}) },
    };
  }
  return undefined;
}
