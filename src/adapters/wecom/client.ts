/**
 * WeCom server API (chat-platforms.md §7.2): access token, message/send, update_template_card, and
 * the group-robot webhook. Every URL comes from `chat.wecom.apiBase`. Tokens never reach the log.
 */
import { request } from 'undici';
import type { Logger } from 'pino';
import { SendError, UpstreamError } from '../../core/errors.ts';
import type { TemplateCardJson } from './render-card.ts';

/** Token errors that mean "get a new token and try again once" (§7.2). */
const TOKEN_ERRORS = new Set([40014, 42001]);
/**
 * errcodes that mean "try again later" (chat-platforms.md §7.2): -1 系统繁忙 (system busy) and 45009
 * (API call frequency over the limit; per member 30/min and 1000/hour for message/send). Thrown as a
 * transient SendError so the outbox retries with backoff; 45009 waits at least a minute.
 */
const BUSY_ERRORS: Record<number, number> = { [-1]: 1000, 45009: 60_000 };

/** A WeCom error answer: transient for the busy codes, else an UpstreamError (not retried). */
function wecomError(what: string, errcode: number | undefined, errmsg: string | undefined): Error {
  const text = `${what}: errcode ${errcode}: ${errmsg ?? ''}`;
  const wait = errcode === undefined ? undefined : BUSY_ERRORS[errcode];
  return wait !== undefined ? new SendError(`wecom: ${text}`, true, wait) : new UpstreamError('wecom', 200, text);
}

/** Refresh this long before the announced expiry. */
const EARLY_REFRESH_MS = 5 * 60_000;

interface WecomResponse {
  errcode?: number;
  errmsg?: string;
  [k: string]: unknown;
}

export interface WecomClientOptions {
  apiBase: string;
  corpId: string;
  secret: string;
  agentId: number;
  log: Logger;
  clock?: () => number;
  timeoutMs?: number;
}

/** The result of message/send; `response_code` only for interactive template cards. */
export interface SendResult {
  msgid?: string;
  response_code?: string;
}

export class WecomClient {
  private token: { value: string; expiresAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private readonly clock: () => number;

  constructor(private readonly o: WecomClientOptions) {
    this.clock = o.clock ?? Date.now;
  }

  private url(path: string, query: Record<string, string>): string {
    const u = new URL(path, this.o.apiBase.endsWith('/') ? this.o.apiBase : this.o.apiBase + '/');
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  }

  private async call(method: 'GET' | 'POST', url: string, body?: unknown, what = 'wecom'): Promise<WecomResponse> {
    const res = await request(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: this.o.timeoutMs ?? 10_000,
      bodyTimeout: this.o.timeoutMs ?? 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) {
      const ra = res.headers['retry-after'];
      const seconds = typeof ra === 'string' && /^\d+$/.test(ra.trim()) ? Number(ra) : undefined;
      throw new UpstreamError('wecom', res.statusCode, `${what}: HTTP error`, seconds);
    }
    try {
      return JSON.parse(text) as WecomResponse;
    } catch {
      throw new UpstreamError('wecom', res.statusCode, `${what}: not JSON`);
    }
  }

  /** A cached access token; one fetch at a time (single-flight), refreshed 5 min early. */
  async accessToken(force = false): Promise<string> {
    if (!force && this.token && this.clock() < this.token.expiresAt) return this.token.value;
    if (this.inflight) return this.inflight;
    this.inflight = (async () => {
      const r = await this.call('GET', this.url('cgi-bin/gettoken', { corpid: this.o.corpId, corpsecret: this.o.secret }), undefined, 'gettoken');
      if (r.errcode !== 0 || typeof r.access_token !== 'string') {
        throw wecomError('gettoken', r.errcode, r.errmsg);
      }
      const ttl = typeof r.expires_in === 'number' ? r.expires_in * 1000 : 7_200_000;
      this.token = { value: r.access_token, expiresAt: this.clock() + Math.max(ttl - EARLY_REFRESH_MS, ttl / 2) };
      this.o.log.debug({ expiresIn: r.expires_in }, 'wecom: access token refreshed');
      return r.access_token;
    })().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** POST an authenticated API; on 40014/42001 refresh the token and retry once. errcode≠0 → UpstreamError. */
  async post(path: string, body: unknown): Promise<WecomResponse> {
    let token = await this.accessToken();
    for (let attempt = 0; ; attempt++) {
      const r = await this.call('POST', this.url(path, { access_token: token }), body, path);
      if (r.errcode === 0 || r.errcode === undefined) return r;
      if (attempt === 0 && TOKEN_ERRORS.has(r.errcode)) {
        this.o.log.info({ errcode: r.errcode, path }, 'wecom: token rejected, refreshing');
        this.token = undefined;
        token = await this.accessToken(true);
        continue;
      }
      throw wecomError(path, r.errcode, r.errmsg);
    }
  }

  /** message/send to users (`a|b`). */
  async sendToUser(touser: string, msg: { msgtype: 'text'; text: { content: string } } | { msgtype: 'markdown'; markdown: { content: string } } | { msgtype: 'template_card'; template_card: TemplateCardJson }): Promise<SendResult> {
    const r = await this.post('cgi-bin/message/send', { touser, agentid: this.o.agentId, ...msg });
    if (r.invaliduser) this.o.log.warn({ invaliduser: r.invaliduser }, 'wecom: message/send invalid user');
    return {
      ...(typeof r.msgid === 'string' ? { msgid: r.msgid } : {}),
      ...(typeof r.response_code === 'string' && r.response_code ? { response_code: r.response_code } : {}),
    };
  }

  /** update_template_card with a ResponseCode: replace the whole card, or only the clicked button's name. */
  async updateTemplateCard(
    userids: string[],
    responseCode: string,
    update: { template_card: TemplateCardJson } | { button: { replace_name: string } },
  ): Promise<void> {
    await this.post('cgi-bin/message/update_template_card', { userids, agentid: this.o.agentId, response_code: responseCode, ...update });
  }

  /** Group-robot webhook push (§7.2): text or markdown, no token needed (the key is the secret). */
  async webhookSend(key: string, msg: { msgtype: 'text'; text: { content: string; mentioned_list?: string[]; mentioned_mobile_list?: string[] } } | { msgtype: 'markdown'; markdown: { content: string } }): Promise<void> {
    const r = await this.call('POST', this.url('cgi-bin/webhook/send', { key }), msg, 'webhook/send');
    if (r.errcode !== 0) throw wecomError('webhook/send', r.errcode, r.errmsg);
  }

  /** AI-bot `response_url` (once, 1 h; markdown, or template_card in single chat only, §7.3). */
  async postResponseUrl(responseUrl: string, body: unknown): Promise<void> {
    // Re-based onto apiBase (issue 6 §6: every WeCom base URL from config; also no request to a foreign host).
    const given = new URL(responseUrl);
    const url = this.url(given.pathname.replace(/^\//, ''), Object.fromEntries(given.searchParams));
    const r = await this.call('POST', url, body, 'aibot/response');
    if (r.errcode !== undefined && r.errcode !== 0) throw wecomError('aibot/response', r.errcode, r.errmsg);
  }
}
