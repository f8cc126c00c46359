/**
 * Outbound routing for DingTalk (issue 5 §4–5):
 * - text/markdown replies go to the message's sessionWebhook while it is valid (§4.1), else the
 *   OpenAPI: `groupMessages/send` for groups, `oToMessages/batchSend` for single chats (§4.4);
 * - cards with command buttons (or a cardKey) become interactive cards (§4.8); the same cardKey in
 *   the same chat updates the card in place with `PUT /v1.0/card/instances` (identical content is not
 *   re-sent: each call counts against the monthly quota);
 * - when cards fail (no permission, template missing, quota 90020) the card goes out as markdown
 *   with the commands to type, and cards are paused for a while so the quota is not burnt.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Locale } from '../../core/i18n.ts';
import { classifySendFailure } from '../../core/outbox-retry.ts';
import type { IncomingMessage, OutgoingMessage } from '../../core/message.ts';
import type { Collection } from '../../store/types.ts';
import type { Card } from '../../../cards/model.ts';
import type { DingtalkClient } from './client.ts';
import type { DingtalkConfig } from './config.ts';
import type { DingtalkReplyContext } from './parse.ts';
import { isDingtalkSessionWebhook, webhookHostForLog } from './session-webhook.ts';
import { DingtalkLimitError, PUBLIC_AI_CARD_TEMPLATE, needsInteractiveCard, renderCardParams, renderMarkdown, renderText } from './render-card.ts';

/** A delivered interactive card (persisted when a Collection is given). */
export interface CardRecord {
  outTrackId: string;
  chat: string;
  chatType: 'group' | 'direct';
  cardKey?: string;
  /** Hash of the last params sent, to skip no-op updates. */
  hash: string;
}

/** Don't use a sessionWebhook that expires within this margin. */
const WEBHOOK_MARGIN_MS = 60_000;
/** After a card failure, send markdown for this long instead of retrying cards on every message. */
const CARD_PAUSE_MS = 10 * 60_000;

type Target = { kind: 'group'; openConversationId: string } | { kind: 'direct'; userId: string };

export interface SenderOptions {
  config: DingtalkConfig;
  client: DingtalkClient;
  log: Logger;
  cards?: Collection<CardRecord>;
  clock?: () => number;
  /**
   * false: never send interactive cards (markdown with typed commands instead). HTTP mode sets this,
   * because cards are created with `callbackType: STREAM` and a click would reach nobody.
   */
  interactiveCards?: boolean;
  /** The bot's reply language (the "truncated" marker, the type-the-command hint); unset = bilingual marker. */
  locale?: Locale;
}

/** Sends OutgoingMessages to DingTalk and remembers delivered cards. */
export class DingtalkSender {
  private readonly byKey = new Map<string, CardRecord>();
  private readonly byTrack = new Map<string, CardRecord>();
  /** conversationId → staffId of single chats seen (so `dingtalk:<cid>` of a 1:1 chat can be pushed to). */
  private readonly directChats = new Map<string, string>();
  private cardsPausedUntil = 0;
  private readonly clock: () => number;

  constructor(private readonly o: SenderOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** Learn from an incoming message (single-chat conversation → user). */
  observe(msg: IncomingMessage): void {
    const ctx = msg.replyContext as DingtalkReplyContext | undefined;
    if (ctx?.conversationType === '1' && ctx.senderStaffId) this.directChats.set(ctx.conversationId, ctx.senderStaffId);
  }

  /** The card we delivered with this outTrackId (to route a click back to its chat). */
  async cardByTrack(outTrackId: string): Promise<CardRecord | undefined> {
    return this.byTrack.get(outTrackId) ?? (await this.o.cards?.get(`track:${outTrackId}`));
  }

  async send(msg: OutgoingMessage): Promise<void> {
    const mentions = msg.mentions ?? [];
    if (msg.reply.kind === 'card') {
      const card = msg.reply.card;
      if ((needsInteractiveCard(card) || msg.cardKey) && this.o.interactiveCards !== false && this.clock() >= this.cardsPausedUntil) {
        try {
          await this.sendCard(msg, card, mentions);
          return;
        } catch (err) {
          // DingTalk down or throttling us says nothing about cards: the outbox retries the card itself
          // (a markdown fallback now would leave a second, stale message once it is back).
          if (classifySendFailure(err).transient) throw err;
          // Our own size check failing says nothing about the API: only a rejection by DingTalk pauses cards.
          if (!(err instanceof DingtalkLimitError)) this.cardsPausedUntil = this.clock() + CARD_PAUSE_MS;
          this.o.log.warn(
            { err: (err as Error).message, chat: msg.to, templateId: this.templateId() },
            'dingtalk: interactive card rejected; sending markdown with typed commands instead (check Card.Instance.Write permission, the template id, and the 90020 quota)',
          );
        }
      }
      const md = renderMarkdown(card, { mentions, ...this.localeOpt() });
      await this.sendPlain(msg, { msgtype: 'markdown', markdown: md }, 'sampleMarkdown', md, mentions);
      return;
    }
    const txt = renderText(msg.reply.text, mentions, this.localeOpt());
    await this.sendPlain(msg, { msgtype: 'text', text: txt }, 'sampleText', txt, mentions);
  }

  private localeOpt(): { locale?: Locale } {
    return this.o.locale ? { locale: this.o.locale } : {};
  }

  private templateId(): string {
    return this.o.config.cardTemplateId || PUBLIC_AI_CARD_TEMPLATE;
  }

  /** sessionWebhook while valid and on DingTalk's host, else OpenAPI. */
  private async sendPlain(msg: OutgoingMessage, webhookBody: Record<string, unknown>, msgKey: string, msgParam: Record<string, unknown>, mentions: string[]): Promise<void> {
    const ctx = msg.inReplyTo?.replyContext as DingtalkReplyContext | undefined;
    const sameChat = msg.inReplyTo?.chat === msg.to;
    let webhook = ctx?.sessionWebhook;
    if (webhook && !isDingtalkSessionWebhook(webhook, this.o.config)) {
      // The URL comes from the (unsigned) message body: never POST a reply to a foreign host (SSRF).
      this.o.log.warn({ chat: msg.to, sessionWebhook: webhookHostForLog(webhook) }, 'dingtalk: sessionWebhook is not on a DingTalk host; ignoring it and replying through the OpenAPI');
      webhook = undefined;
    }
    if (sameChat && webhook && (ctx?.sessionWebhookExpiredTime ?? 0) > this.clock() + WEBHOOK_MARGIN_MS) {
      try {
        await this.o.client.postSessionWebhook(webhook, {
          ...webhookBody,
          at: { atUserIds: mentions, isAtAll: false },
        });
        return;
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message, chat: msg.to }, 'dingtalk: sessionWebhook failed; using the OpenAPI');
      }
    }
    const target = this.targetOf(msg);
    if (target.kind === 'group') await this.o.client.sendGroupMessage(target.openConversationId, msgKey, msgParam);
    else await this.o.client.sendDirectMessage([target.userId], msgKey, msgParam);
  }

  private async sendCard(msg: OutgoingMessage, card: Card, mentions: string[]): Promise<void> {
    const params = renderCardParams(card, { customTemplate: this.o.config.cardTemplateId !== '', mentions, ...this.localeOpt() });
    const hash = createHash('sha256').update(JSON.stringify(params)).digest('base64url');
    const mapKey = msg.cardKey ? `key:${msg.to}|${msg.cardKey}` : undefined;
    const existing = mapKey ? (this.byKey.get(mapKey) ?? (await this.o.cards?.get(mapKey))) : undefined;
    if (existing) {
      if (existing.hash === hash) return; // nothing changed: save the quota
      try {
        await this.o.client.updateCard(existing.outTrackId, params);
        await this.remember(mapKey, { ...existing, hash });
        return;
      } catch (err) {
        // Transient: retry the update later (a new card now would duplicate it once DingTalk is back).
        if (classifySendFailure(err).transient) throw err;
        this.o.log.warn({ err: (err as Error).message, outTrackId: existing.outTrackId }, 'dingtalk: card update failed; sending a new card');
      }
    }
    const target = this.targetOf(msg);
    const outTrackId = `ob-${this.clock().toString(36)}-${randomBytes(6).toString('base64url')}`;
    await this.o.client.createAndDeliverCard({
      outTrackId,
      templateId: this.templateId(),
      params,
      target,
      ...(mentions.length && target.kind === 'group' ? { atUserIds: mentions } : {}),
    });
    const rec: CardRecord = {
      outTrackId,
      chat: msg.to,
      chatType: target.kind === 'group' ? 'group' : 'direct',
      hash,
      ...(msg.cardKey ? { cardKey: msg.cardKey } : {}),
    };
    await this.remember(mapKey, rec);
  }

  private async remember(mapKey: string | undefined, rec: CardRecord): Promise<void> {
    if (mapKey) this.byKey.set(mapKey, rec);
    this.byTrack.set(rec.outTrackId, rec);
    if (this.o.cards) {
      if (mapKey) await this.o.cards.put(mapKey, rec);
      await this.o.cards.put(`track:${rec.outTrackId}`, rec);
    }
  }

  /**
   * Where an OpenAPI send goes. Addresses: `dingtalk:<openConversationId>` (a group, or a single
   * chat we have seen), `dingtalk:user:<staffId>` (a single chat with the robot).
   */
  private targetOf(msg: OutgoingMessage): Target {
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
