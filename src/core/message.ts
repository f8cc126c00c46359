/**
 * The one neutral message type every chat platform produces, and the replies the bot sends back.
 * Adapters (src/adapters/*) translate wire formats into these; commands and cards only ever see these.
 */
import type { Card } from '../../cards/model.ts';

/** Chat platforms opsbot speaks on. `test` is the in-process adapter used by tests and benches. */
export type Platform = 'console' | 'dingtalk' | 'wecom' | 'test';

/**
 * A chat address as written in config (`teams.*.chats`): `dingtalk:<openConversationId>`,
 * `wecom:<userid>`, `wecom-group:<chatid>`, `wecom-webhook:<key>`, `console`, `test:<id>`.
 */
export type ChatAddress = string;

/** Who wrote a message, as the platform identifies them. `person` is filled in by the bot from `people`. */
export interface Sender {
  platform: Platform;
  /** Platform user id: DingTalk staffId, WeCom userid, `console` for the console. */
  id: string;
  name?: string;
}

/** A chat message (typed text or a button click turned into command text). */
export interface IncomingMessage {
  /** Platform message id (DingTalk msgId, WeCom MsgId, click id): the dedupe key together with `platform`. */
  id: string;
  platform: Platform;
  /** Where to answer: a ChatAddress. */
  chat: ChatAddress;
  chatType: 'group' | 'direct';
  sender: Sender;
  /** Text with any leading @mention already stripped. */
  text: string;
  /** ms since epoch */
  receivedAt: number;
  /** True when the text came from a card button rather than typing. */
  fromAction?: boolean;
  /** Adapter-private data needed to answer this message (DingTalk sessionWebhook, WeCom response_code, …). */
  replyContext?: unknown;
}

/** What a handler answers: plain text or a neutral card. */
export type Reply = { kind: 'text'; text: string } | { kind: 'card'; card: Card };

/** An outbound message as the bot hands it to an adapter. */
export interface OutgoingMessage {
  to: ChatAddress;
  reply: Reply;
  /** The message this answers, so the adapter can use a reply channel (sessionWebhook, response_url). */
  inReplyTo?: IncomingMessage;
  /** Platform user ids to @mention (already resolved for the platform of `to`). */
  mentions?: string[];
  /**
   * A stable key (`task:42`, `alert:sentry:123`): sending again with the same key updates the card
   * already in that chat in place where the platform allows it, else sends a new one.
   */
  cardKey?: string;
}

export const text = (t: string): Reply => ({ kind: 'text', text: t });
export const cardReply = (card: Card): Reply => ({ kind: 'card', card });

/** The platform part of a chat address (`dingtalk:cid==` → `dingtalk`). */
export function platformOf(address: ChatAddress): string {
  const i = address.indexOf(':');
  return i === -1 ? address : address.slice(0, i);
}
