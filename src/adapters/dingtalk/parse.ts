/**
 * Wire → IncomingMessage. The robot message JSON is the same in HTTP mode (POST body) and Stream
 * mode (CALLBACK `data`), chat-platforms.md §2; card clicks follow §4.6/§4.8.
 */
import { z } from 'zod';
import { BadRequestError } from '../../core/errors.ts';
import type { IncomingMessage } from '../../core/message.ts';
import { decodeCommandId } from './actions.ts';

/** What a reply to a robot message needs (kept on IncomingMessage.replyContext). */
export interface DingtalkReplyContext {
  sessionWebhook?: string;
  sessionWebhookExpiredTime?: number;
  robotCode?: string;
  conversationId: string;
  conversationType: '1' | '2';
  /** The sender's staffId (single-chat OpenAPI sends go to a user id). */
  senderStaffId?: string;
}

const robotMessageSchema = z.looseObject({
  msgId: z.string().min(1),
  msgtype: z.string().default('text'),
  conversationId: z.string().min(1),
  conversationType: z.enum(['1', '2']),
  senderId: z.string().optional(),
  senderStaffId: z.string().optional(),
  senderNick: z.string().optional(),
  createAt: z.number().optional(),
  sessionWebhook: z.url().optional(),
  sessionWebhookExpiredTime: z.number().optional(),
  robotCode: z.string().optional(),
  text: z.looseObject({ content: z.string() }).optional(),
  content: z.unknown().optional(),
});

/** A robot message (HTTP body or Stream `data`), validated. */
export type RobotMessage = z.infer<typeof robotMessageSchema>;

function parseJson(raw: string | Buffer, what: string): unknown {
  try {
    return JSON.parse(raw.toString());
  } catch {
    throw new BadRequestError(`${what}: body is not JSON`);
  }
}

function issues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/**
 * Strip leading @mentions and whitespace. DingTalk already removes the bot's @ in groups but leaves a
 * space (" /deploy …"); a pasted "@opsbot /deploy" is stripped too.
 */
export function stripMentions(text: string): string {
  return text.replace(/^(?:\s*@\S+)*\s*/u, '').trim();
}

/** True when the JSON looks like a card callback rather than a robot message. */
export function isCardCallback(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'outTrackId' in body && !('msgId' in body);
}

/** Robot message JSON → IncomingMessage. Throws BadRequestError when malformed. */
export function parseRobotMessage(body: unknown, receivedAt: number = Date.now()): IncomingMessage {
  const r = robotMessageSchema.safeParse(typeof body === 'string' ? parseJson(body, 'dingtalk message') : body);
  if (!r.success) throw new BadRequestError(`dingtalk message: ${issues(r.error)}`);
  const m = r.data;
  const senderId = m.senderStaffId || m.senderId;
  if (!senderId) throw new BadRequestError('dingtalk message: no senderStaffId or senderId');
  // Only text is a command; other msgtypes (picture, richText …) become empty text the bot ignores.
  const raw = m.msgtype === 'text' ? (m.text?.content ?? '') : '';
  const ctx: DingtalkReplyContext = {
    conversationId: m.conversationId,
    conversationType: m.conversationType,
    ...(m.sessionWebhook ? { sessionWebhook: m.sessionWebhook } : {}),
    ...(m.sessionWebhookExpiredTime !== undefined ? { sessionWebhookExpiredTime: m.sessionWebhookExpiredTime } : {}),
    ...(m.robotCode ? { robotCode: m.robotCode } : {}),
    ...(m.senderStaffId ? { senderStaffId: m.senderStaffId } : {}),
  };
  return {
    id: m.msgId,
    platform: 'dingtalk',
    chat: `dingtalk:${m.conversationId}`,
    chatType: m.conversationType === '1' ? 'direct' : 'group',
    sender: { platform: 'dingtalk', id: senderId, ...(m.senderNick ? { name: m.senderNick } : {}) },
    text: stripMentions(raw),
    receivedAt,
    replyContext: ctx,
  };
}

const cardCallbackSchema = z.looseObject({
  outTrackId: z.string().min(1),
  userId: z.string().min(1),
  type: z.string().optional(),
  corpId: z.string().optional(),
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  userIdType: z.union([z.number(), z.string()]).optional(),
  // §4.6: real Stream payloads use `content`; the HTTP tutorial shows `value`. Parse both.
  content: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  value: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});

const privateDataSchema = z.looseObject({
  cardPrivateData: z
    .looseObject({
      actionIds: z.array(z.string()).optional(),
      params: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

/** A parsed card click: who clicked what on which card. */
export interface CardClick {
  outTrackId: string;
  userId: string;
  actionId?: string;
  command: string;
  spaceType?: string;
  spaceId?: string;
}

/** Card callback data (§4.6) → the click, with the command decoded from params.command or the button id. */
export function parseCardCallback(body: unknown): CardClick {
  const r = cardCallbackSchema.safeParse(typeof body === 'string' ? parseJson(body, 'dingtalk card callback') : body);
  if (!r.success) throw new BadRequestError(`dingtalk card callback: ${issues(r.error)}`);
  const c = r.data;
  const rawContent = c.content ?? c.value;
  const contentObj = typeof rawContent === 'string' ? parseJson(rawContent, 'dingtalk card callback content') : (rawContent ?? {});
  const p = privateDataSchema.safeParse(contentObj);
  if (!p.success) throw new BadRequestError(`dingtalk card callback content: ${issues(p.error)}`);
  const params = p.data.cardPrivateData?.params ?? p.data.params ?? {};
  const actionId = p.data.cardPrivateData?.actionIds?.[0];
  const fromParams = typeof params['command'] === 'string' ? params['command'] : undefined;
  const command = fromParams ?? (actionId ? decodeCommandId(actionId) : undefined);
  if (!command) throw new BadRequestError(`dingtalk card callback: button carries no opsbot command (${actionId ?? 'no actionId'})`);
  return {
    outTrackId: c.outTrackId,
    userId: c.userId,
    command: command.trim(),
    ...(actionId ? { actionId } : {}),
    ...(c.spaceType ? { spaceType: c.spaceType } : {}),
    ...(c.spaceId ? { spaceId: c.spaceId } : {}),
  };
}

/**
 * A click → IncomingMessage (fromAction), run as the clicker through the normal command path.
 * `chat` comes from the card we delivered (outTrackId map) when known, else from spaceId.
 * `deliveryId` (the Stream frame messageId) makes the id stable across redeliveries; without it the
 * id is outTrackId+action+user (§4.8: dedupe on outTrackId + action).
 */
export function cardClickToMessage(
  click: CardClick,
  opts: { chat?: string; chatType?: 'group' | 'direct'; deliveryId?: string; receivedAt?: number } = {},
): IncomingMessage {
  // Unknown card and no group space id: answer the clicker in a single chat rather than guess a group.
  const groupSpace = click.spaceId && click.spaceType !== 'IM_ROBOT' ? click.spaceId : undefined;
  const isDirect = opts.chatType ? opts.chatType === 'direct' : !groupSpace;
  const chat = opts.chat ?? (groupSpace ? `dingtalk:${groupSpace}` : `dingtalk:user:${click.userId}`);
  return {
    id: opts.deliveryId ?? `card:${click.outTrackId}:${click.actionId ?? click.command}:${click.userId}`,
    platform: 'dingtalk',
    chat,
    chatType: isDirect ? 'direct' : 'group',
    sender: { platform: 'dingtalk', id: click.userId },
    text: stripMentions(click.command),
    receivedAt: opts.receivedAt ?? Date.now(),
    fromAction: true,
  };
}
