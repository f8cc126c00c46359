/**
 * Outbound routing for DingTalk (issue 5 §4–5):
 * - text/markdown replies go to the message's sessionWebhook while it is valid (§4.1), else the
 *   OpenAPI: `groupMessages/send` for groups, `oToMessages/batchSend` for single chats (§4.4);
 * - cards with command buttons (or a cardKey) become interactive cards (§4.8); the same cardKey in
 *   the same chat updates the card in place with `PUT /v1.0/card/instances` (identical content is not
 *   re-sent: each call counts against the monthly quota);
 * - when cards fail (no permission, template missing, quota 90020) the card goes out as markdown
 *   with the commands to type, and cards are paused for a while so the quota is not burnt;
 * - `dingtalk-robot:<name>` goes to a custom robot (robot.ts, §4.2);
 * - @mentions go where DingTalk honours them (mentions.ts): a group message that must @ someone and
 *   would otherwise take `groupMessages/send` (no `at`, §4.4) goes as an interactive card or through
 *   the group's custom robot; failing both, the text names the people and `mentionsUnnotified` counts.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { Locale } from '../../core/i18n.ts';
import { classifySendFailure } from '../../core/outbox-retry.ts';
import type { IncomingMessage, OutgoingMessage } from '../../core/message.ts';
import type { Card } from '../../../cards/model.ts';
import { QuotaUsedUpError } from './quota.ts';
import type { DingtalkReplyContext } from './parse.ts';
import { ChatTargets } from './targets.ts';
import { CardRecords, type CardRecord } from './card-records.ts';
import type { SenderOptions } from './sender-options.ts';
import { isDingtalkSessionWebhook, webhookHostForLog } from './session-webhook.ts';
import { mobileOfMention } from '../../core/transport.ts';
import { atField, notifyLine, splitMentions, type SplitMentions } from './mentions.ts';
import { RobotSendError } from './robot.ts';
import { renderRobotMessage } from './render-robot.ts';
import { DingtalkLimitError, PUBLIC_AI_CARD_TEMPLATE, needsInteractiveCard, renderCardParams, renderMarkdown, renderText } from './render-card.ts';

export type { CardRecord } from './card-records.ts';

/** Don't use a sessionWebhook that expires within this margin. */
const WEBHOOK_MARGIN_MS = 60_000;
/** After a card failure, send markdown for this long instead of retrying cards on every message. */
const CARD_PAUSE_MS = 10 * 60_000;
/** Below 20 % of the monthly quota left, a card is refreshed at most this often (quota.ts). */
export const LOW_QUOTA_REFRESH_MS = 60_000;

/** A card whose tone is an outcome (done, failed) is the last state people need: never throttled. */
const isTerminal = (card: Card): boolean => card.tone === 'success' || card.tone === 'danger';


export type { SenderOptions } from './sender-options.ts';

/** Addresses of custom robots (identity.ts). */
export const ROBOT_PREFIX = 'dingtalk-robot:';

/** A text reply as a card, so it can travel as an interactive card (whose atUserIds notify). */
function textCard(text: string): Card {
  const [first = '', ...rest] = text.split('\n');
  return { title: first.slice(0, 64), blocks: rest.length || first.length > 64 ? [{ kind: 'markdown', text: rest.length ? rest.join('\n') : text }] : [] };
}

/** Sends OutgoingMessages to DingTalk and remembers delivered cards. */
export class DingtalkSender {
  private readonly records: CardRecords;
  private readonly targets = new ChatTargets();
  private cardsPausedUntil = 0;
  /** People an @ could not reach (named in the text instead). */
  readonly stats = { mentionsUnnotified: 0, cardRefreshesThrottled: 0, quotaRobotFallbacks: 0 };
  private readonly clock: () => number;

  constructor(private readonly o: SenderOptions) {
    this.clock = o.clock ?? Date.now;
    this.records = new CardRecords(o.cards);
  }

  /** Learn from an incoming message (single-chat conversation → user). */
  observe(msg: IncomingMessage): void {
    this.targets.observe(msg);
  }

  /** The card we delivered with this outTrackId (to route a click back to its chat). */
  cardByTrack(outTrackId: string): Promise<CardRecord | undefined> {
    return this.records.byTrack(outTrackId);
  }

  async send(msg: OutgoingMessage): Promise<void> {
    const m = splitMentions(msg.mentions);
    if (msg.to.startsWith(ROBOT_PREFIX)) return this.sendRobot(msg.to.slice(ROBOT_PREFIX.length), msg, m);
    if (this.o.appEnabled === false) {
      throw new RobotSendError(msg.to, false, 0, 'chat.dingtalk has no app (clientId/clientSecret/robotCode): only dingtalk-robot:<name> chats can be sent to');
    }
    if (msg.reply.kind === 'card') {
      const card = msg.reply.card;
      if ((needsInteractiveCard(card) || msg.cardKey) && (await this.tryCard(msg, card, m))) return;
    }
    const session = this.sessionWebhookOf(msg);
    if (session) {
      // sessionWebhook bodies take `at` (§4.1): everyone is notified, by staffId or mobile.
      const [body] = this.plain(msg, m.tokens);
      try {
        await this.o.client.postSessionWebhook(session, { ...body, at: atField(m) });
        return;
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message, chat: msg.to }, 'dingtalk: sessionWebhook failed; using the OpenAPI');
      }
    }
    const target = this.targets.of(msg);
    if (!(await this.meteredAllowed())) {
      // The month's budget is spent: the group's custom robot (not metered) still reaches people.
      const robot = target.kind === 'group' ? this.o.robots?.forGroup(target.openConversationId) : undefined;
      if (robot && (await this.tryRobot(robot, msg, m))) {
        this.stats.quotaRobotFallbacks++;
        return;
      }
      throw new QuotaUsedUpError(`no session reply or custom robot for ${msg.to}`);
    }
    if (target.kind === 'direct') {
      const [, msgKey, msgParam] = this.plain(msg, []); // a single chat notifies its one reader anyway
      return this.o.client.sendDirectMessage([target.userId], msgKey, msgParam);
    }
    if (m.all.length > 0) {
      // groupMessages/send has no `at` (§4.4): an interactive card (atUserIds) or the group's custom
      // robot (at) notifies; only when neither works does the text name who should have been notified.
      const card = msg.reply.kind === 'card' ? msg.reply.card : textCard(msg.reply.text);
      if (await this.tryCard(msg, card, m)) return;
      const robot = this.o.robots?.forGroup(target.openConversationId);
      if (robot && (await this.tryRobot(robot, msg, m))) return;
      this.unnotified(msg.to, m.all, 'openapi');
      const [, msgKey, msgParam] = this.plain(msg, [], notifyLine(m.all, this.o.people, this.o.locale));
      return this.o.client.sendGroupMessage(target.openConversationId, msgKey, msgParam);
    }
    const [, msgKey, msgParam] = this.plain(msg, []);
    await this.o.client.sendGroupMessage(target.openConversationId, msgKey, msgParam);
  }

  private localeOpt(): { locale?: Locale } {
    return this.o.locale ? { locale: this.o.locale } : {};
  }

  /** HTTP mode: the registered card callback route key; cards are then created with `callbackType: HTTP`. */
  private httpCallback: string | undefined;

  /** HTTP mode, once `registerCardCallback` succeeded: send interactive cards whose clicks POST to us. */
  useHttpCardCallback(routeKey: string): void {
    this.httpCallback = routeKey;
  }

  private templateId(): string {
    return this.o.config.cardTemplateId || PUBLIC_AI_CARD_TEMPLATE;
  }

  /** Counts people an @ could not reach (`opsbot_dingtalk{counter="mentionsUnnotified"}`) and logs who. */
  private unnotified(chat: string, mentions: readonly string[], path: string): void {
    this.stats.mentionsUnnotified += mentions.length;
    this.o.log.warn({ chat, path, people: mentions.length }, 'dingtalk: this path cannot @ (OpenAPI groupMessages/send has no at field); naming the people in the text');
  }

  /** Interactive card when allowed (Stream mode, cards not paused); false when it could not be sent. */
  private async tryCard(msg: OutgoingMessage, card: Card, m: SplitMentions): Promise<boolean> {
    if ((this.o.interactiveCards === false && !this.httpCallback) || this.clock() < this.cardsPausedUntil) return false;
    if (!(await this.meteredAllowed())) return false; // no card: a session reply or robot may still go
    try {
      await this.sendCard(msg, card, m);
      return true;
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
      return false;
    }
  }

  /** False once this month's OpenAPI budget is spent (monthlyQuota reached or 90020 seen). */
  private async meteredAllowed(): Promise<boolean> {
    if (!this.o.quota) return true;
    await this.o.quota.ready();
    return this.o.quota.allowsMetered();
  }

  /** A `dingtalk-robot:<name>` chat (§4.2); RobotSendError carries `transient`. */
  private async sendRobot(name: string, msg: OutgoingMessage, m: SplitMentions): Promise<void> {
    if (!this.o.robots?.has(name)) throw new RobotSendError(name, false, 0, 'not configured under chat.dingtalk.robots');
    const body = renderRobotMessage(msg.reply, { mentions: m, keyword: this.o.robots.keywordOf(name), commandUrl: this.o.commandUrl, locale: this.o.locale });
    await this.o.robots.send(name, body);
  }

  private async tryRobot(name: string, msg: OutgoingMessage, m: SplitMentions): Promise<boolean> {
    try {
      await this.sendRobot(name, msg, m);
      return true;
    } catch (err) {
      this.o.log.warn({ robot: name, chat: msg.to, err: (err as Error).message }, 'dingtalk: the group\'s custom robot failed; sending through the OpenAPI');
      return false;
    }
  }

  /** The reply's sessionWebhook while valid, on DingTalk's host and for the same chat, else undefined. */
  private sessionWebhookOf(msg: OutgoingMessage): string | undefined {
    const ctx = msg.inReplyTo?.replyContext as DingtalkReplyContext | undefined;
    let webhook = ctx?.sessionWebhook;
    if (webhook && !isDingtalkSessionWebhook(webhook, this.o.config)) {
      // The URL comes from the (unsigned) message body: never POST a reply to a foreign host (SSRF).
      this.o.log.warn({ chat: msg.to, sessionWebhook: webhookHostForLog(webhook) }, 'dingtalk: sessionWebhook is not on a DingTalk host; ignoring it and replying through the OpenAPI');
      webhook = undefined;
    }
    const sameChat = msg.inReplyTo?.chat === msg.to;
    return sameChat && webhook && (ctx?.sessionWebhookExpiredTime ?? 0) > this.clock() + WEBHOOK_MARGIN_MS ? webhook : undefined;
  }

  /**
   * The message as a plain body: [sessionWebhook body, OpenAPI msgKey, msgParam]. `tokens`: the
   * `@<userId>`/`@<mobile>` written in the text; `note`: a line added at the end (who to notify).
   */
  private plain(msg: OutgoingMessage, tokens: string[], note?: string): [Record<string, unknown>, string, Record<string, unknown>] {
    if (msg.reply.kind === 'card') {
      const card = note ? { ...msg.reply.card, blocks: [...msg.reply.card.blocks, { kind: 'note' as const, text: note }] } : msg.reply.card;
      const md = renderMarkdown(card, { mentions: tokens, ...this.localeOpt() });
      return [{ msgtype: 'markdown', markdown: md }, 'sampleMarkdown', md];
    }
    const txt = renderText(note ? `${msg.reply.text}\n${note}` : msg.reply.text, tokens, this.localeOpt());
    return [{ msgtype: 'text', text: txt }, 'sampleText', txt];
  }

  private async sendCard(msg: OutgoingMessage, card: Card, m: SplitMentions): Promise<void> {
    const target = this.targets.of(msg);
    // Cards @ by staffId only (atUserIds, §4.5): people known only by mobile are named in the card.
    const group = target.kind === 'group';
    const byMobile = group ? m.all.filter((x) => mobileOfMention(x) !== undefined) : [];
    const shown = byMobile.length ? { ...card, blocks: [...card.blocks, { kind: 'note' as const, text: notifyLine(byMobile, this.o.people, this.o.locale) }] } : card;
    const mentions = group ? m.ids : [];
    const params = renderCardParams(shown, { customTemplate: this.o.config.cardTemplateId !== '', mentions, ...this.localeOpt() });
    const hash = createHash('sha256').update(JSON.stringify(params)).digest('base64url');
    const mapKey = msg.cardKey ? `key:${msg.to}|${msg.cardKey}` : undefined;
    const existing = mapKey ? await this.records.byKey(mapKey) : undefined;
    if (existing) {
      if (existing.hash === hash) return; // nothing changed: save the quota
      if (this.throttled(existing, card)) return;
      try {
        await this.o.client.updateCard(existing.outTrackId, params);
        await this.records.remember(mapKey, { ...existing, hash, at: this.clock() });
        return;
      } catch (err) {
        // Transient: retry the update later (a new card now would duplicate it once DingTalk is back).
        if (classifySendFailure(err).transient) throw err;
        this.o.log.warn({ err: (err as Error).message, outTrackId: existing.outTrackId }, 'dingtalk: card update failed; sending a new card');
      }
    }
    if (byMobile.length) this.unnotified(msg.to, byMobile, 'card');
    const outTrackId = `ob-${this.clock().toString(36)}-${randomBytes(6).toString('base64url')}`;
    await this.o.client.createAndDeliverCard({
      outTrackId,
      templateId: this.templateId(),
      params,
      target,
      ...(mentions.length ? { atUserIds: mentions } : {}),
      ...(this.httpCallback ? { callbackType: 'HTTP' as const, callbackRouteKey: this.httpCallback } : {}),
    });
    const rec: CardRecord = {
      outTrackId,
      chat: msg.to,
      chatType: target.kind === 'group' ? 'group' : 'direct',
      hash,
      at: this.clock(),
      ...(msg.cardKey ? { cardKey: msg.cardKey } : {}),
    };
    await this.records.remember(mapKey, rec);
  }

  /**
   * Below 20 % of the month's quota left, a progress refresh of a card updated less than 60 s ago is
   * skipped (the next refresh carries the latest state); an outcome (success/danger tone) always goes.
   */
  private throttled(existing: CardRecord, card: Card): boolean {
    if (!this.o.quota?.low() || isTerminal(card) || existing.at === undefined) return false;
    if (this.clock() - existing.at >= LOW_QUOTA_REFRESH_MS) return false;
    this.stats.cardRefreshesThrottled++;
    this.o.log.debug({ outTrackId: existing.outTrackId, chat: existing.chat }, 'dingtalk: monthly quota low; card refresh skipped');
    return true;
  }
}
