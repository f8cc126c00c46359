/**
 * DingTalk OpenAPI client (chat-platforms.md §4.1–4.5): OAuth2 access token (cached, refreshed 5 min
 * before expiry, single-flight), sessionWebhook posts, robot group / single-chat messages, and
 * interactive cards (createAndDeliver, PUT update). Every base URL comes from config; the token is
 * sent only as the `x-acs-dingtalk-access-token` header and never logged. Errors → UpstreamError.
 */
import type { Logger } from 'pino';
import { SendError, UpstreamError } from '../../core/errors.ts';
import type { DingtalkConfig } from './config.ts';
import { postJson, type JsonAnswer } from './post-json.ts';
import { QuotaUsedUpError, type DingtalkQuota } from './quota.ts';

/** Refresh this long before the token expires (the python SDK does the same). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** OpenAPI calls made by this process (the base edition allows 10 000 a month, `90020`; §4.8). */
export interface DingtalkApiStats {
  tokenFetches: number;
  openApiCalls: number;
  cardCreates: number;
  cardUpdates: number;
  webhookPosts: number;
}

export interface DingtalkClientOptions {
  config: DingtalkConfig;
  log: Logger;
  clock?: () => number;
  /** Retries for 5xx/429 answers, with `retryBaseMs * 2^n` backoff. */
  retries?: number;
  retryBaseMs?: number;
  /** Counts metered calls per month and refuses them once the month's budget is spent (quota.ts). */
  quota?: DingtalkQuota;
}

type Json = Record<string, unknown>;

/** Low-level DingTalk HTTP client; routing (which channel to use) lives in send.ts. */
export class DingtalkClient {
  readonly stats: DingtalkApiStats = { tokenFetches: 0, openApiCalls: 0, cardCreates: 0, cardUpdates: 0, webhookPosts: 0 };
  private token: { value: string; expiresAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private readonly clock: () => number;
  private readonly retries: number;
  private readonly retryBaseMs: number;

  constructor(private readonly opts: DingtalkClientOptions) {
    this.clock = opts.clock ?? Date.now;
    this.retries = opts.retries ?? 2;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
  }

  /** A valid access token; concurrent callers share one fetch. */
  async accessToken(): Promise<string> {
    const now = this.clock();
    if (this.token && now < this.token.expiresAt - TOKEN_REFRESH_MARGIN_MS) return this.token.value;
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    const { apiBase, clientId, clientSecret } = this.opts.config;
    const before = this.clock();
    this.stats.tokenFetches++;
    const body = await this.call('POST', `${apiBase}/v1.0/oauth2/accessToken`, { appKey: clientId, appSecret: clientSecret });
    const value = body['accessToken'];
    const expireIn = Number(body['expireIn'] ?? 7200);
    if (typeof value !== 'string' || !value) throw new UpstreamError('dingtalk', 200, 'accessToken missing in response');
    this.token = { value, expiresAt: before + expireIn * 1000 };
    this.opts.log.debug({ expireIn }, 'dingtalk: access token refreshed');
    return value;
  }

  /** POST a message body to a sessionWebhook (§4.1; `{errcode:0}` on success). */
  async postSessionWebhook(url: string, body: Json): Promise<void> {
    this.stats.webhookPosts++;
    await this.call('POST', url, body);
  }

  /** `POST /v1.0/robot/groupMessages/send` (§4.4). */
  async sendGroupMessage(openConversationId: string, msgKey: string, msgParam: Json): Promise<void> {
    await this.openApi('POST', '/v1.0/robot/groupMessages/send', {
      robotCode: this.opts.config.robotCode,
      openConversationId,
      msgKey,
      msgParam: JSON.stringify(msgParam),
    });
  }

  /** `POST /v1.0/robot/oToMessages/batchSend` for single chats (§4.4). */
  async sendDirectMessage(userIds: string[], msgKey: string, msgParam: Json): Promise<void> {
    await this.openApi('POST', '/v1.0/robot/oToMessages/batchSend', {
      robotCode: this.opts.config.robotCode,
      userIds,
      msgKey,
      msgParam: JSON.stringify(msgParam),
    });
  }

  /**
   * `POST /v1.0/card/instances/createAndDeliver` into a group (`IM_GROUP.<cid>`) or a single chat
   * with the robot (`IM_ROBOT.<userId>`), clicks on Stream (§4.8 "Delivering into a group").
   * HTTP 200 is not proof of delivery: a failed deliverResults entry is an error too.
   */
  async createAndDeliverCard(a: {
    outTrackId: string;
    templateId: string;
    params: Record<string, string>;
    target: { kind: 'group'; openConversationId: string } | { kind: 'direct'; userId: string };
    atUserIds?: string[];
    callbackType?: 'STREAM' | 'HTTP';
    /** With `callbackType: HTTP`: the registered route the clicks go to (registerCardCallback). */
    callbackRouteKey?: string;
  }): Promise<void> {
    this.stats.cardCreates++;
    const robotCode = this.opts.config.robotCode;
    const at = a.atUserIds?.length ? Object.fromEntries(a.atUserIds.map((u) => [u, u])) : undefined;
    const space =
      a.target.kind === 'group'
        ? {
            openSpaceId: `dtv1.card//IM_GROUP.${a.target.openConversationId}`,
            imGroupOpenSpaceModel: { supportForward: false },
            imGroupOpenDeliverModel: { robotCode, ...(at ? { atUserIds: at } : {}) },
          }
        : {
            openSpaceId: `dtv1.card//IM_ROBOT.${a.target.userId}`,
            imRobotOpenSpaceModel: { supportForward: false },
            imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode },
          };
    const res = await this.openApi('POST', '/v1.0/card/instances/createAndDeliver', {
      cardTemplateId: a.templateId,
      outTrackId: a.outTrackId,
      callbackType: a.callbackType ?? 'STREAM',
      ...(a.callbackType === 'HTTP' && a.callbackRouteKey ? { callbackRouteKey: a.callbackRouteKey } : {}),
      cardData: { cardParamMap: a.params },
      ...space,
      userIdType: 1,
    });
    const result = (res['result'] ?? {}) as { deliverResults?: Array<{ success?: boolean; errorMsg?: string }> };
    const failed = (result.deliverResults ?? []).find((d) => d.success === false);
    if (res['success'] === false || failed) {
      throw new UpstreamError('dingtalk', 200, `card not delivered: ${failed?.errorMsg ?? 'success=false'}`);
    }
  }

  /** `PUT /v1.0/card/instances`, merged by key, seen by everyone (§4.8 "Updating the card"). */
  async updateCard(outTrackId: string, params: Record<string, string>): Promise<void> {
    this.stats.cardUpdates++;
    await this.openApi('PUT', '/v1.0/card/instances', {
      outTrackId,
      cardData: { cardParamMap: params },
      cardUpdateOptions: { updateCardDataByKey: true },
      userIdType: 1,
    });
  }

  /**
   * Registers where clicks on cards created with `callbackType: HTTP` + `callbackRouteKey` go
   * (chat-platforms.md §4.5; the 互动卡片 "注册回调地址" API, `POST <oapiBase>/topapi/im/chat/scencegroup/
   * interactivecard/callback/register`, body `{callback_url, api_secret, callbackRouteKey, forceUpdate}`,
   * answer `{errcode: 0}`). The route key's field is camelCase unlike its neighbours: DingTalk's own TOP SDK
   * (`OapiImChatScencegroupInteractivecardCallbackRegisterRequest`, in open-dingtalk/h5app-cool-app-demo
   * backend/lib/taobao-sdk-java-auto_1479188381469-20210906-source.jar) puts `api_secret`, `callbackRouteKey`,
   * `callback_url` and `forceUpdate`; without the key DingTalk routes to the orgId's URL, so our cards' clicks
   * would go nowhere. `api_secret` is the app secret, so the callback carries the same `timestamp` + `sign` as
   * robot messages and the route verifies both alike [unverified: the SDK only calls it "加密密钥用于校验来源",
   * a key to check the source, and the official sample's card_callback handler checks nothing].
   * `forceUpdate: true`: a changed publicUrl replaces the old registration. Not metered (no v1.0 API).
   */
  async registerCardCallback(a: { callbackUrl: string; routeKey: string }): Promise<void> {
    const token = await this.accessToken();
    const url = `${this.opts.config.oapiBase}/topapi/im/chat/scencegroup/interactivecard/callback/register?access_token=${encodeURIComponent(token)}`;
    await this.call('POST', url, { callback_url: a.callbackUrl, api_secret: this.opts.config.clientSecret, callbackRouteKey: a.routeKey, forceUpdate: true });
  }

  /** A metered call (§4.8 monthly quota): refused once the month's budget is spent, counted otherwise. */
  private async openApi(method: 'POST' | 'PUT', path: string, body: Json): Promise<Json> {
    const quota = this.opts.quota;
    await quota?.ready();
    if (quota && !quota.allowsMetered()) throw new QuotaUsedUpError(`${method} ${path} not sent (chat.dingtalk.monthlyQuota)`);
    const token = await this.accessToken();
    try {
      this.metered();
      try {
        return await this.call(method, `${this.opts.config.apiBase}${path}`, body, token);
      } catch (err) {
        // A revoked/expired token (401): drop the cache and try once more with a fresh one.
        if (!(err instanceof UpstreamError) || err.status !== 401) throw err;
        if (this.token?.value === token) this.token = undefined;
        this.metered();
        return await this.call(method, `${this.opts.config.apiBase}${path}`, body, await this.accessToken());
      }
    } catch (err) {
      if (err instanceof QuotaUsedUpError) quota?.markExhausted();
      throw err;
    }
  }

  private metered(): void {
    this.stats.openApiCalls++;
    this.opts.quota?.count();
  }

  /** One JSON call with retries on 5xx/429; the body is always consumed. */
  private async call(method: 'POST' | 'PUT', url: string, body: Json, token?: string): Promise<Json> {
    const pathOnly = safePath(url);
    for (let attempt = 0; ; attempt++) {
      let res: JsonAnswer;
      try {
        res = await postJson(url, body, { method, ...(token ? { headers: { 'x-acs-dingtalk-access-token': token } } : {}) });
      } catch (err) {
        if (attempt < this.retries) {
          await sleep(this.retryBaseMs * 2 ** attempt);
          continue;
        }
        throw new UpstreamError('dingtalk', 0, `${method} ${pathOnly}: ${(err as Error).message}`);
      }
      const { status, body: parsed } = res;
      // 429 is left to the outbox, which waits for Retry-After instead of our short backoff.
      const retryable = status >= 500;
      if (retryable && attempt < this.retries) {
        this.opts.log.warn({ status, path: pathOnly, attempt }, 'dingtalk: retrying');
        await sleep(this.retryBaseMs * 2 ** attempt);
        continue;
      }
      // v1.0 APIs answer {code, message} with a 4xx/5xx; oapi/sessionWebhook answer 200 {errcode, errmsg}.
      const errcode = parsed['errcode'];
      if (status >= 400 || (typeof errcode === 'number' && errcode !== 0)) {
        const code = String(parsed['code'] ?? errcode ?? '');
        const msg = String(parsed['message'] ?? parsed['errmsg'] ?? '');
        const what = `dingtalk: ${method} ${pathOnly}: HTTP ${status}: ${code} ${msg}`.trim();
        if (code === '90020' || code.includes('ApiCountLimit')) throw new QuotaUsedUpError(what);
        const throttled = throttleOf(status, code, res.headers['retry-after']);
        if (throttled) throw new SendError(what, true, throttled.retryAfterMs);
        throw new UpstreamError('dingtalk', status, `${method} ${pathOnly}: ${code} ${msg}`.trim());
      }
      return parsed;
    }
  }
}

/**
 * DingTalk's "slow down" answers, all transient (the outbox waits and tries again):
 * - HTTP 429, with `Retry-After` when given;
 * - v1.0 codes `Forbidden.AccessDenied.QpsLimitForApi` / `…QpsLimitForAppkeyAndApi` and other
 *   `*QpsLimit*` / `*Throttling*` codes: the per-app per-second limit (20/40/60 QPS by edition,
 *   chat-platforms.md §4.8 [3p]), free again within a second;
 * - errcode 130101: a robot over 20 messages a minute, "限流10分钟" (§4.2 [3p mapping]) → 10 min;
 * - errcode -1 "系统繁忙" (system busy) and 90018 (QPS over the per-API limit [3p]).
 * The monthly quota (90020 / ApiCountLimitForOrg) is not transient on a 24 h budget: left permanent.
 */
function throttleOf(status: number, code: string, retryAfter: string | string[] | undefined): { retryAfterMs?: number } | undefined {
  const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  const seconds = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
  const after = seconds !== undefined ? { retryAfterMs: seconds * 1000 } : {};
  if (code.includes('ApiCountLimit') || code === '90020') return undefined;
  if (status === 429) return after;
  if (/QpsLimit|Throttl|FlowControl/i.test(code)) return { retryAfterMs: seconds !== undefined ? seconds * 1000 : 1000 };
  if (code === '130101') return { retryAfterMs: 600_000 };
  if (code === '-1' || code === '90018') return after;
  return undefined;
}

/** The URL without its query (sessionWebhook URLs carry a session token in the query). */
function safePath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return '(bad url)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
