/**
 * 智能机器人 API mode (contract.md: POST /webhooks/wecom/aibot; chat-platforms.md §7.3). Encrypted
 * JSON `{encrypt}` with receiveid "". Text messages are handed to the bot and answered later through
 * `response_url`; a card click is held for up to `clickWaitMs` (< 5 s, single attempt, no retry) so a
 * card reply can go back as the passive `update_template_card` for everyone in the chat.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { IncomingMessage, Reply } from '../../core/message.ts';
import { BadRequestError, UnsupportedMediaError, VerificationError } from '../../core/errors.ts';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../types.ts';
import type { WecomAibotConfig } from './config.ts';
import { openCallback, sealReply, VERIFY_REASONS } from './crypto.ts';
import { clearlyNot } from './app-routes.ts';
import { aibotIncoming, parseAibotBody } from './aibot-message.ts';
import type { AibotContext } from './aibot-message.ts';
import type { TemplateCardJson } from './render-card.ts';
import type { RecentIds, WecomState } from './state.ts';

/** Replies the bot produces while a click's HTTP request is still open. */
export class PassiveReplies {
  private readonly waiting = new Map<string, (r: Reply | undefined) => void>();

  /** Wait up to `ms` for a reply to message `id`. */
  wait(id: string, ms: number): Promise<Reply | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, ms);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(r);
      });
    });
  }

  /** True when a request for message `id` is still open. */
  has(id: string): boolean {
    return this.waiting.has(id);
  }

  /** Hand a reply (or undefined: release) to a waiting request; false when none waits. */
  offer(id: string, reply: Reply | undefined): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    w(reply);
    return true;
  }
}

export interface AibotHttpDeps {
  aibot: WecomAibotConfig;
  state: WecomState;
  recent: RecentIds;
  passive: PassiveReplies;
  log: Logger;
  onMessage(msg: IncomingMessage): Promise<void>;
  /** Render a card reply to a click as the replacement card (same task_id). */
  renderUpdate(reply: Reply, ctx: AibotContext): Promise<TemplateCardJson | undefined>;
  /** How long a click waits for its card reply (default 3500 ms; WeCom drops it at 5 s). */
  clickWaitMs?: number;
}

/** `null`, `array`, `number`, … for an error reason (never the value: it may carry user text). */
function jsonKind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

const EMPTY: HttpAnswer = { status: 200, body: '', contentType: 'text/plain' };

/** GET (URL verification) + POST /webhooks/wecom/aibot. */
export function aibotHttpRoutes(d: AibotHttpDeps): WebhookRoute[] {
  const keys = { token: d.aibot.token ?? '', encodingAESKey: d.aibot.encodingAESKey ?? '', receiveId: '' };
  return [
    {
      method: 'GET',
      path: '/webhooks/wecom/aibot',
      async handle(req: RawRequest): Promise<HttpAnswer> {
        const q = req.query;
        const plain = openCallback(keys, { msgSignature: q.get('msg_signature'), timestamp: q.get('timestamp'), nonce: q.get('nonce'), encrypted: q.get('echostr') });
        return { status: 200, body: plain, contentType: 'text/plain' };
      },
    },
    {
      method: 'POST',
      path: '/webhooks/wecom/aibot',
      async handle(req: RawRequest): Promise<HttpAnswer> {
        const q = req.query;
        const timestamp = q.get('timestamp');
        const nonce = q.get('nonce');
        if (!q.get('msg_signature') || !timestamp || !nonce) throw new VerificationError(VERIFY_REASONS.missingParams);
        if (clearlyNot(req.headers['content-type'], 'json')) throw new UnsupportedMediaError('wecom aibot: expected a JSON body');
        let envelope: unknown;
        try {
          envelope = JSON.parse(req.rawBody.toString('utf8'));
        } catch {
          throw new VerificationError(VERIFY_REASONS.missingParams);
        }
        const encrypted = (envelope as { encrypt?: unknown } | null)?.encrypt;
        if (typeof encrypted !== 'string' || !encrypted) throw new VerificationError(VERIFY_REASONS.missingParams);
        const plain = openCallback(keys, { msgSignature: q.get('msg_signature'), timestamp, nonce, encrypted });
        let json: unknown;
        try {
          json = JSON.parse(plain);
        } catch {
          throw new BadRequestError('wecom aibot: decrypted payload is not JSON');
        }
        // Every 智能机器人 callback is a JSON object with a string msgtype (chat-platforms.md §7.3); anything
        // else decrypted fine (so it is verified) but is malformed: 400, contract.md "Webhook answers".
        if (typeof json !== 'object' || json === null || Array.isArray(json)) {
          throw new BadRequestError(`wecom aibot: decrypted payload is not a JSON object (got ${jsonKind(json)})`);
        }
        const msgtype = (json as { msgtype?: unknown }).msgtype;
        if (typeof msgtype !== 'string' || !msgtype) throw new BadRequestError('wecom aibot: decrypted payload has no msgtype');
        // Stream refreshes, images, enter_chat …: acknowledged, nothing for the bot.
        if (msgtype !== 'text' && msgtype !== 'event') return EMPTY;
        const body = parseAibotBody(json);
        if (!body) throw new BadRequestError('wecom aibot: unexpected callback body');
        const msg = await aibotIncoming(body, { via: 'aibot-http', at: req.receivedAt }, d.state);
        if (!msg) return EMPTY;
        if (d.recent.seen(msg.id)) return EMPTY;
        const isClick = msg.fromAction === true;
        const waiting = isClick ? d.passive.wait(msg.id, d.clickWaitMs ?? 3500) : undefined;
        try {
          await d.onMessage(msg);
        } catch (err) {
          d.recent.forget(msg.id);
          if (waiting) d.passive.offer(msg.id, undefined);
          throw err;
        }
        if (!waiting) return EMPTY;
        const reply = await waiting;
        const card = reply ? await d.renderUpdate(reply, msg.replyContext as AibotContext) : undefined;
        if (!card) return EMPTY;
        const plainReply = JSON.stringify({ response_type: 'update_template_card', template_card: card });
        const sealed = sealReply(keys, plainReply, timestamp, nonce, randomBytes(16));
        return {
          status: 200,
          contentType: 'application/json',
          body: { encrypt: sealed.encrypt, msgsignature: sealed.signature, timestamp: Number(timestamp), nonce },
        };
      },
    },
  ];
}
