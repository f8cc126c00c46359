/**
 * Self-built app callback (contract.md: GET/POST /webhooks/wecom; chat-platforms.md §5, §7.1).
 * GET answers the URL verification with the decrypted echostr as the raw body. POST verifies,
 * decrypts, parses the XML and hands text messages and card clicks to the bot, then answers an
 * empty 200 (the 5 s deadline; replies go out later through message/send).
 */
import type { Logger } from 'pino';
import type { IncomingMessage } from '../../core/message.ts';
import { BadRequestError, UnsupportedMediaError, VerificationError } from '../../core/errors.ts';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../types.ts';
import type { WecomConfig } from './config.ts';
import { openCallback, VERIFY_REASONS } from './crypto.ts';
import { parseFlatXml } from './xml.ts';
import type { RecentIds, WecomState } from './state.ts';

/** What the app handler needs from the adapter. */
export interface AppRouteDeps {
  config: WecomConfig;
  state: WecomState;
  recent: RecentIds;
  log: Logger;
  onMessage(msg: IncomingMessage): Promise<void>;
}

/** The reply context of an app card click: the single-use ResponseCode and the card's task_id. */
export interface AppClickContext {
  via: 'app';
  responseCode?: string;
  taskId?: string;
}

const EMPTY: HttpAnswer = { status: 200, body: '', contentType: 'text/plain' };

/** A body content type that is clearly not XML (absent, xml or text/plain are accepted). */
export function clearlyNot(contentType: string | undefined, kind: 'xml' | 'json'): boolean {
  if (!contentType) return false;
  const ct = contentType.toLowerCase();
  if (ct.includes(kind) || ct.startsWith('text/plain') || ct.startsWith('application/octet-stream')) return false;
  return true;
}

/** The `<Encrypt>` of an app callback body, or undefined. */
export function extractEncrypt(rawBody: Buffer): string | undefined {
  const xml = parseFlatXml(rawBody.toString('utf8'));
  const enc = xml?.Encrypt?.trim();
  return enc ? enc : undefined;
}

/** Turn a decrypted app message into an IncomingMessage (undefined: nothing for the bot). */
export async function appMessageFromXml(
  x: Record<string, string>,
  state: WecomState,
  receivedAt: number,
): Promise<IncomingMessage | undefined> {
  const from = x.FromUserName;
  if (!from) throw new BadRequestError('wecom: message without FromUserName');
  const base = { platform: 'wecom' as const, chat: `wecom:${from}`, chatType: 'direct' as const, sender: { platform: 'wecom' as const, id: from }, receivedAt };
  if (x.MsgType === 'text') {
    if (!x.MsgId) throw new BadRequestError('wecom: text message without MsgId');
    return { ...base, id: x.MsgId, text: (x.Content ?? '').trim() };
  }
  if (x.MsgType === 'event' && x.Event === 'template_card_event') {
    const key = x.EventKey ?? '';
    const command = await state.commandFor(key);
    if (command === undefined) return undefined;
    const ctx: AppClickContext = { via: 'app', ...(x.ResponseCode ? { responseCode: x.ResponseCode } : {}), ...(x.TaskId ? { taskId: x.TaskId } : {}) };
    if (x.TaskId && x.ResponseCode) await state.setResponseCode(x.TaskId, x.ResponseCode, receivedAt);
    return { ...base, id: `${from}:${x.CreateTime ?? ''}:${key}`, text: command, fromAction: true, replyContext: ctx };
  }
  return undefined;
}

/** GET + POST /webhooks/wecom. */
export function appRoutes(d: AppRouteDeps): WebhookRoute[] {
  const keys = { token: d.config.token, encodingAESKey: d.config.encodingAESKey, receiveId: d.config.corpId };
  return [
    {
      method: 'GET',
      path: '/webhooks/wecom',
      // URLSearchParams already URL-decoded echostr (`%2B` → `+`); the signature is over the decoded value (§5).
      async handle(req: RawRequest): Promise<HttpAnswer> {
        const q = req.query;
        const plain = openCallback(keys, {
          msgSignature: q.get('msg_signature'),
          timestamp: q.get('timestamp'),
          nonce: q.get('nonce'),
          encrypted: q.get('echostr'),
        });
        return { status: 200, body: plain, contentType: 'text/plain' };
      },
    },
    {
      method: 'POST',
      path: '/webhooks/wecom',
      async handle(req: RawRequest): Promise<HttpAnswer> {
        const q = req.query;
        if (!q.get('msg_signature') || !q.get('timestamp') || !q.get('nonce')) throw new VerificationError(VERIFY_REASONS.missingParams);
        if (clearlyNot(req.headers['content-type'], 'xml')) throw new UnsupportedMediaError('wecom: expected an XML body');
        const encrypted = extractEncrypt(req.rawBody);
        if (!encrypted) throw new VerificationError(VERIFY_REASONS.missingParams);
        const plain = openCallback(keys, { msgSignature: q.get('msg_signature'), timestamp: q.get('timestamp'), nonce: q.get('nonce'), encrypted });
        const x = parseFlatXml(plain);
        if (!x) throw new BadRequestError('wecom: decrypted payload is not callback XML');
        const msg = await appMessageFromXml(x, d.state, req.receivedAt);
        if (!msg) {
          d.log.debug({ msgType: x.MsgType, event: x.Event }, 'wecom: app callback ignored');
          return EMPTY;
        }
        if (d.recent.seen(msg.id)) return EMPTY; // WeCom retry of one we already took (§7.1)
        try {
          await d.onMessage(msg);
        } catch (err) {
          d.recent.forget(msg.id); // not recorded: let WeCom's retry try again
          throw err;
        }
        return EMPTY;
      },
    },
  ];
}
