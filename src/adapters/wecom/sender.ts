/**
 * Outbound routing for WeCom (chat-platforms.md §7.2–7.4): which channel a reply takes and when a
 * card is updated in place instead of sent anew.
 * - `wecom:<userid>`: self-built app `message/send`; card updates with a ResponseCode (single use, 72 h).
 * - `wecom-group:<chatid>`: 智能机器人 long connection `aibot_send_msg`; updates only within 5 s of a click.
 * - replies to an AI-bot message: the frame's req_id (long connection) or response_url / passive reply (API mode).
 * - `wecom-webhook:<key>`: group robot, text/markdown only.
 */
import type { Logger } from 'pino';
import type { Locale } from '../../core/i18n.ts';
import type { OutgoingMessage, Reply } from '../../core/message.ts';
import { UpstreamError } from '../../core/errors.ts';
import { mobileOfMention } from '../../core/transport.ts';
import type { Card } from '../../../cards/model.ts';
import type { WecomClient } from './client.ts';
import type { AibotConnection } from './aibot-ws.ts';
import type { PassiveReplies } from './aibot-http.ts';
import type { AibotContext } from './aibot-message.ts';
import type { AppClickContext } from './app-routes.ts';
import { truncationMarker } from '../truncate.ts';
import { hasCommandButtons, LIMITS, renderMarkdown, renderTemplateCard, truncateBytes } from './render-card.ts';
import type { TemplateCardJson } from './render-card.ts';
import { newTaskId, RecentIds } from './state.ts';
import type { WecomState } from './state.ts';

/** A click can update its card only this long after it arrived (5 s, with a margin; §7.4). */
export const CLICK_UPDATE_WINDOW_MS = 4500;
/** Answer an AI-bot message through its req_id only this long; later replies are pushed. */
const RESPOND_WINDOW_MS = 5 * 60_000;
/** response_url is usable once within 1 h (§7.3). */
const RESPONSE_URL_TTL_MS = 55 * 60_000;

export interface SenderDeps {
  state: WecomState;
  client: WecomClient;
  log: Logger;
  conn?: AibotConnection;
  passive: PassiveReplies;
  clock: () => number;
  /** The bot's reply language, for the "truncated" marker; unset = bilingual. */
  locale?: Locale;
}

/**
 * Mentions → WeCom fields: userids go in `<@userid>` (markdown) or `mentioned_list` (group-robot text);
 * `tel:<mobile>` mentions only in the group robot's `mentioned_mobile_list` (§7.2), which exists on text
 * messages only.
 */
function splitMentions(mentions: readonly string[] = []): { ids: string[]; mobiles: string[] } {
  const ids: string[] = [];
  const mobiles: string[] = [];
  for (const m of mentions) {
    const mobile = mobileOfMention(m);
    if (mobile !== undefined) mobiles.push(mobile);
    else ids.push(m);
  }
  return { ids, mobiles };
}
const atTags = (ids: readonly string[]): string => ids.map((u) => `<@${u}>`).join(' ');

const splitAddress = (to: string): [string, string] => {
  const i = to.indexOf(':');
  return i < 0 ? [to, ''] : [to.slice(0, i), to.slice(i + 1)];
};

export class WecomSender {
  /** req_ids, response_urls and ResponseCodes already spent (each is single use). */
  private readonly spent = new RecentIds(5000);
  /** Recent long-connection clicks by task_id: what lets a later send with the cardKey update in place. */
  private readonly clicks = new Map<string, AibotContext>();

  constructor(private readonly d: SenderDeps) {}

  /** Remember a long-connection click so a send for that card within 5 s becomes an update. */
  noteClick(ctx: AibotContext): void {
    if (!ctx.taskId) return;
    this.clicks.set(ctx.taskId, ctx);
    setTimeout(() => this.clicks.delete(ctx.taskId as string), CLICK_UPDATE_WINDOW_MS + 500).unref();
  }

  /** Cut a text reply to `max` bytes, saying so (hardening item 6). */
  private cut(text: string, max: number): string {
    return truncateBytes(text, max, { marker: truncationMarker(this.d.locale) });
  }

  private markdown(card: Card, opts: { maxBytes?: number; tail?: string } = {}): string {
    return renderMarkdown(card, { ...opts, ...(this.d.locale ? { locale: this.d.locale } : {}) });
  }

  private keyFor = (command: string, forceStored?: boolean): Promise<string> => this.d.state.keyFor(command, forceStored);

  /** Render a card reply as a template card keeping `taskId` (for updates) or with a new one. */
  async templateCard(card: Card, taskId = newTaskId()): Promise<TemplateCardJson> {
    return renderTemplateCard(card, { taskId, keyFor: this.keyFor, ...(this.d.locale ? { locale: this.d.locale } : {}) });
  }

  /** The update card for a click answered in the open HTTP request (API mode). */
  async renderUpdate(reply: Reply, ctx: AibotContext): Promise<TemplateCardJson | undefined> {
    if (reply.kind !== 'card' || !ctx.taskId) return undefined;
    return this.templateCard(reply.card, ctx.taskId);
  }

  async send(msg: OutgoingMessage): Promise<void> {
    const [prefix, id] = splitAddress(msg.to);
    if (!id) throw new UpstreamError('wecom', 400, `bad address ${msg.to}`);
    const ctx = msg.inReplyTo?.replyContext as (AibotContext | AppClickContext | undefined);
    if (prefix === 'wecom-webhook') return this.sendWebhook(id, msg);
    if (ctx && (ctx.via === 'aibot-ws' || ctx.via === 'aibot-http') && msg.inReplyTo?.chat === msg.to) {
      return this.replyAibot(msg, ctx);
    }
    if (prefix === 'wecom-group') return this.pushAibot(id, msg);
    if (prefix === 'wecom') return this.sendApp(id, msg, ctx?.via === 'app' ? ctx : undefined);
    throw new UpstreamError('wecom', 400, `unsupported address prefix ${prefix}`);
  }

  // ---- group robot -------------------------------------------------------------------------
  private async sendWebhook(key: string, msg: OutgoingMessage): Promise<void> {
    const { ids, mobiles } = splitMentions(msg.mentions);
    const lists = { ...(ids.length ? { mentioned_list: ids } : {}), ...(mobiles.length ? { mentioned_mobile_list: mobiles } : {}) };
    if (msg.reply.kind === 'text') {
      // text: @ through mentioned_list / mentioned_mobile_list (§7.2), so the limit applies to the text alone.
      await this.d.client.webhookSend(key, { msgtype: 'text', text: { content: this.cut(msg.reply.text, LIMITS.textBytes), ...lists } });
      return;
    }
    // markdown has no mentioned_list: the @ is `<@userid>` in the content (§7.2), kept whole when cut.
    const at = atTags(ids);
    await this.d.client.webhookSend(key, { msgtype: 'markdown', markdown: { content: this.markdown(msg.reply.card, { maxBytes: LIMITS.markdownBytes, ...(at ? { tail: at } : {}) }) } });
    // People known only by mobile: markdown cannot @ them, a text message's mentioned_mobile_list can.
    if (mobiles.length) {
      await this.d.client.webhookSend(key, { msgtype: 'text', text: { content: this.cut(msg.reply.card.title, LIMITS.textBytes), mentioned_mobile_list: mobiles } });
    }
  }

  // ---- self-built app ----------------------------------------------------------------------
  private async sendApp(userid: string, msg: OutgoingMessage, click?: AppClickContext): Promise<void> {
    const r = msg.reply;
    if (r.kind === 'text') {
      await this.d.client.sendToUser(userid, { msgtype: 'text', text: { content: this.cut(r.text, LIMITS.textBytes) } });
      return;
    }
    if (!hasCommandButtons(r.card)) {
      await this.d.client.sendToUser(userid, { msgtype: 'markdown', markdown: { content: this.markdown(r.card, { maxBytes: LIMITS.appMarkdownBytes }) } });
      return;
    }
    // In place: the clicked card (its ResponseCode came with the click), else the card under cardKey.
    const now = this.d.clock();
    const existing = msg.cardKey ? await this.d.state.cardFor(msg.to, msg.cardKey) : undefined;
    const targets: Array<{ taskId: string; code?: string }> = [];
    if (click?.taskId) targets.push({ taskId: click.taskId, ...(click.responseCode ? { code: click.responseCode } : {}) });
    if (existing && existing.taskId !== click?.taskId) targets.push({ taskId: existing.taskId });
    for (const t of targets) {
      const code = (await this.d.state.takeResponseCode(t.taskId, now)) ?? t.code;
      if (!code || this.spent.seen(`code:${code}`)) continue;
      try {
        const card = await this.templateCard(r.card, t.taskId);
        await this.d.client.updateTemplateCard([userid], code, { template_card: card });
        await this.d.state.rememberCard({ to: msg.to, ...(msg.cardKey ? { cardKey: msg.cardKey } : {}), taskId: t.taskId });
        return;
      } catch (err) {
        this.d.log.warn({ err: (err as Error).message, taskId: t.taskId }, 'wecom: card update failed, sending a new card');
      }
    }
    const taskId = newTaskId();
    const res = await this.d.client.sendToUser(userid, { msgtype: 'template_card', template_card: await this.templateCard(r.card, taskId) });
    await this.d.state.rememberCard({
      to: msg.to,
      ...(msg.cardKey ? { cardKey: msg.cardKey } : {}),
      taskId,
      ...(res.response_code ? { responseCode: res.response_code, responseCodeAt: now } : {}),
    });
  }

  // ---- 智能机器人 ------------------------------------------------------------------------------
  private async replyAibot(msg: OutgoingMessage, ctx: AibotContext): Promise<void> {
    const now = this.d.clock();
    const r = msg.reply;
    const inReplyTo = msg.inReplyTo;
    const isClick = inReplyTo?.fromAction === true;
    if (ctx.via === 'aibot-http') {
      if (isClick && inReplyTo && this.d.passive.has(inReplyTo.id)) {
        // The click's request is still open: a card goes back as the passive update (§7.3).
        if (r.kind === 'card') {
          this.d.passive.offer(inReplyTo.id, r);
          return;
        }
        this.d.passive.offer(inReplyTo.id, undefined);
      }
      if (ctx.responseUrl && now - ctx.at < RESPONSE_URL_TTL_MS && !this.spent.seen(`url:${ctx.responseUrl}`)) {
        // template_card through response_url works in single chat only (§7.3).
        const body =
          r.kind === 'card' && ctx.chattype === 'single' && hasCommandButtons(r.card)
            ? { msgtype: 'template_card', template_card: await this.templateCard(r.card) }
            : { msgtype: 'markdown', markdown: { content: r.kind === 'card' ? this.markdown(r.card) : this.cut(r.text, LIMITS.markdownBytes) } };
        await this.d.client.postResponseUrl(ctx.responseUrl, body);
        return;
      }
      if (!this.d.conn) throw new UpstreamError('wecom', 409, 'aibot API mode: the one response_url of this message is spent or expired');
    }
    const conn = this.requireConn();
    if (ctx.reqId && isClick && r.kind === 'card' && ctx.taskId && now - ctx.at < CLICK_UPDATE_WINDOW_MS && !this.spent.seen(`req:${ctx.reqId}`)) {
      await conn.request('aibot_respond_update_msg', { response_type: 'update_template_card', template_card: await this.templateCard(r.card, ctx.taskId) }, ctx.reqId);
      await this.d.state.rememberCard({ to: msg.to, ...(msg.cardKey ? { cardKey: msg.cardKey } : {}), taskId: ctx.taskId });
      return;
    }
    if (ctx.reqId && !isClick && now - ctx.at < RESPOND_WINDOW_MS && !this.spent.seen(`req:${ctx.reqId}`)) {
      if (r.kind === 'card' && hasCommandButtons(r.card)) {
        const taskId = newTaskId();
        await conn.request('aibot_respond_msg', { msgtype: 'template_card', template_card: await this.templateCard(r.card, taskId) }, ctx.reqId);
        await this.d.state.rememberCard({ to: msg.to, ...(msg.cardKey ? { cardKey: msg.cardKey } : {}), taskId });
      } else {
        const at = atTags(splitMentions(msg.mentions).ids);
        const content = r.kind === 'card' ? this.markdown(r.card, at ? { tail: at } : {}) : this.cut(r.text, LIMITS.streamBytes - Buffer.byteLength(`\n${at}`)) + (at ? `\n${at}` : '');
        await conn.request('aibot_respond_msg', { msgtype: 'stream', stream: { id: newTaskId(), finish: true, content } }, ctx.reqId);
      }
      return;
    }
    return this.pushAibot(ctx.chatid ?? splitAddress(msg.to)[1], msg);
  }

  private requireConn(): AibotConnection {
    if (!this.d.conn) throw new UpstreamError('wecom', 409, 'wecom-group/aibot push needs chat.wecom.aibot in websocket mode');
    return this.d.conn;
  }

  /** Proactive `aibot_send_msg` to a group chatid or a userid (§7.4); markdown or template_card only. */
  private async pushAibot(chatid: string, msg: OutgoingMessage): Promise<void> {
    const conn = this.requireConn();
    const r = msg.reply;
    if (r.kind === 'card' && hasCommandButtons(r.card)) {
      const existing = msg.cardKey ? await this.d.state.cardFor(msg.to, msg.cardKey) : undefined;
      const click = existing ? this.clicks.get(existing.taskId) : undefined;
      if (existing && click?.reqId && this.d.clock() - click.at < CLICK_UPDATE_WINDOW_MS && !this.spent.seen(`req:${click.reqId}`)) {
        await conn.request('aibot_respond_update_msg', { response_type: 'update_template_card', template_card: await this.templateCard(r.card, existing.taskId) }, click.reqId);
        return;
      }
      const taskId = newTaskId();
      await conn.request('aibot_send_msg', { chatid, msgtype: 'template_card', template_card: await this.templateCard(r.card, taskId) });
      await this.d.state.rememberCard({ to: msg.to, ...(msg.cardKey ? { cardKey: msg.cardKey } : {}), taskId });
      // A template_card has no mention field (§7.4): the @ follows as markdown `<@userid>`.
      const tags = atTags(splitMentions(msg.mentions).ids);
      if (tags) await conn.request('aibot_send_msg', { chatid, msgtype: 'markdown', markdown: { content: `${this.cut(r.card.title, 512)}\n${tags}` } });
      return;
    }
    // The 智能机器人 has no mobile mention: only userids (`<@userid>`) reach anyone here.
    const at = atTags(splitMentions(msg.mentions).ids);
    const atBytes = at ? Buffer.byteLength(`\n${at}`, 'utf8') : 0;
    const content = r.kind === 'card' ? this.markdown(r.card, at ? { tail: at } : {}) : this.cut(r.text, LIMITS.markdownBytes - atBytes) + (at ? `\n${at}` : '');
    await conn.request('aibot_send_msg', { chatid, msgtype: 'markdown', markdown: { content } });
  }
}
