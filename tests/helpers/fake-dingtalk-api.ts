/**
 * A fake DingTalk for bot *processes* (issue 9 end-to-end tests): the OpenAPI the adapter calls
 * (src/adapters/dingtalk/client.ts; chat-platforms.md §4.1–4.8) plus the Stream gateway
 * (tests/adapters/dingtalk/fake-gateway.ts), both on 127.0.0.1. Every outbound message is recorded
 * with the chat it went to, so a test can count cards per chat across several replicas.
 *
 * Paths answered (anything else: 200 `{}` and recorded with kind 'other'):
 * - POST /v1.0/oauth2/accessToken → `{accessToken, expireIn}`
 * - POST /v1.0/robot/groupMessages/send → group text/markdown (`openConversationId`)
 * - POST /v1.0/robot/oToMessages/batchSend → single-chat text/markdown (`userIds`)
 * - POST /v1.0/card/instances/createAndDeliver → interactive card (`openSpaceId dtv1.card//IM_GROUP.<cid>`)
 * - PUT  /v1.0/card/instances → card update (by `outTrackId`, mapped back to the chat it was created in)
 * - POST /robot/sendBySession?session=<chat> → a reply through a message's sessionWebhook
 * - POST /robot/send?access_token=<t>[&timestamp&sign] → a custom robot (chat-platforms.md §4.2): with a
 *   secret registered for the token, `timestamp` must be within 1 h and `sign` must be
 *   base64(HmacSHA256(secret, timestamp+"\n"+secret)), else `{errcode:310000}` (recorded as 'robot-rejected');
 *   chat `dingtalk-robot-token:<t>`; `robotAnswer` can script other answers (130101 …)
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebSocket } from 'ws';
import { startFakeGateway } from '../adapters/dingtalk/fake-gateway.ts';

/** One outbound DingTalk message as the fake saw it. */
export interface SentDingtalk {
  at: number;
  kind: 'card' | 'card-update' | 'group' | 'direct' | 'session' | 'robot' | 'robot-rejected' | 'other';
  /** `dingtalk:<openConversationId>` (group), `dingtalk:user:<staffId>` (direct), the session id for 'session'. */
  chat: string;
  method: string;
  path: string;
  body: Record<string, unknown>;
}

/** The OpenAPI half: start with startFakeDingtalkApi(); see the module comment for the paths. */
export interface FakeDingtalkApi {
  base: string;
  /** Every request, in arrival order (token fetches included, kind 'other'). */
  readonly requests: SentDingtalk[];
  /** Messages (not token fetches) sent to `chat` (`dingtalk:<cid>`), optionally of one kind. */
  sentTo(chat: string, kind?: SentDingtalk['kind']): SentDingtalk[];
  /** New interactive cards delivered into `chat`. */
  cardsTo(chat: string): SentDingtalk[];
  /**
   * Fault injection: while set, every request except the token fetch gets this answer and is NOT
   * recorded (the platform did not take the message). `{ status: 503 }`, `{ status: 429, retryAfter: 2 }`.
   */
  fault: { status: number; body?: unknown; retryAfter?: number } | undefined;
  close(): Promise<void>;
}

export interface FakeDingtalkApiOptions {
  /** Custom robots: access_token → its 加签 secret (undefined: no signature expected). */
  robots?: Record<string, string | undefined>;
  /** Scripted custom-robot answers (e.g. `{errcode:130101}`); undefined: the normal checks. */
  robotAnswer?: (token: string, body: Record<string, unknown>) => Record<string, unknown> | undefined;
  /** Scripted createAndDeliver answers (e.g. a failed deliverResults); undefined: success. */
  cardAnswer?: (body: Record<string, unknown>) => Record<string, unknown> | undefined;
  /** Clock for the ±1 h timestamp check. */
  now?: () => number;
}

/** The custom robot's signature check (§4.2), as DingTalk does it. */
function robotSignOk(secret: string, ts: string | null, sign: string | null, now: number): boolean {
  if (!ts || !sign || Math.abs(now - Number(ts)) > 3_600_000) return false;
  return createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64') === sign;
}

export async function startFakeDingtalkApi(o: FakeDingtalkApiOptions = {}): Promise<FakeDingtalkApi> {
  const requests: SentDingtalk[] = [];
  const trackChat = new Map<string, string>();
  let tokens = 0;
  const api: { fault: FakeDingtalkApi['fault'] } = { fault: undefined };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        body = { raw };
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const method = req.method ?? '';
      if (api.fault && url.pathname !== '/v1.0/oauth2/accessToken') {
        res.statusCode = api.fault.status;
        if (api.fault.retryAfter !== undefined) res.setHeader('retry-after', String(api.fault.retryAfter));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(api.fault.body ?? { code: 'ServiceUnavailable', message: 'fake outage' }));
        return;
      }
      let answer: unknown = {};
      let rec: Omit<SentDingtalk, 'at' | 'method' | 'path' | 'body'> = { kind: 'other', chat: '' };
      if (url.pathname === '/v1.0/oauth2/accessToken') {
        answer = { accessToken: `fake-token-${++tokens}`, expireIn: 7200 };
      } else if (url.pathname === '/v1.0/robot/groupMessages/send') {
        rec = { kind: 'group', chat: `dingtalk:${String(body['openConversationId'])}` };
        answer = { processQueryKey: `pqk-${requests.length}` };
      } else if (url.pathname === '/v1.0/robot/oToMessages/batchSend') {
        rec = { kind: 'direct', chat: `dingtalk:user:${String((body['userIds'] as string[] | undefined)?.[0])}` };
        answer = { processQueryKey: `pqk-${requests.length}` };
      } else if (url.pathname === '/v1.0/card/instances/createAndDeliver') {
        // openSpaceId is `dtv1.card//IM_GROUP.<cid>` or `dtv1.card//IM_ROBOT.<userId>` (client.ts).
        const space = String(body['openSpaceId'] ?? '');
        const chat = space.includes('IM_GROUP.') ? `dingtalk:${space.split('IM_GROUP.')[1]}` : `dingtalk:user:${space.split('IM_ROBOT.')[1]}`;
        trackChat.set(String(body['outTrackId']), chat);
        rec = { kind: 'card', chat };
        answer = o.cardAnswer?.(body) ?? { success: true, result: { outTrackId: body['outTrackId'], deliverResults: [{ success: true }] } };
      } else if (url.pathname === '/v1.0/card/instances' && method === 'PUT') {
        rec = { kind: 'card-update', chat: trackChat.get(String(body['outTrackId'])) ?? '' };
        answer = { success: true };
      } else if (url.pathname === '/robot/send' && method === 'POST') {
        const token = url.searchParams.get('access_token') ?? '';
        const known = o.robots !== undefined && Object.hasOwn(o.robots, token);
        const secret = o.robots?.[token];
        const scripted = o.robotAnswer?.(token, body);
        if (!known) answer = { errcode: 300001, errmsg: 'token is not exist' };
        else if (secret !== undefined && !robotSignOk(secret, url.searchParams.get('timestamp'), url.searchParams.get('sign'), (o.now ?? Date.now)())) {
          answer = { errcode: 310000, errmsg: 'sign not match' };
        } else answer = scripted ?? { errcode: 0, errmsg: 'ok' };
        rec = { kind: (answer as { errcode: number }).errcode === 0 ? 'robot' : 'robot-rejected', chat: `dingtalk-robot-token:${token}` };
      } else if (url.pathname === '/robot/sendBySession') {
        rec = { kind: 'session', chat: url.searchParams.get('session') ?? '' };
        answer = { errcode: 0, errmsg: 'ok' };
      }
      requests.push({ at: Date.now(), ...rec, method, path: url.pathname, body });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sentTo = (chat: string, kind?: SentDingtalk['kind']) => requests.filter((r) => r.kind !== 'other' && r.chat === chat && (!kind || r.kind === kind));
  return Object.assign(api, {
    base,
    requests,
    sentTo,
    cardsTo: (chat: string) => sentTo(chat, 'card'),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

type Frame = { specVersion: string; type: string; headers: Record<string, string>; data: string };
const FRAMES = JSON.parse(readFileSync(new URL('../fixtures/dingtalk/dingtalk-stream-frames.json', import.meta.url), 'utf8')) as Record<string, Frame>;

/** The fake OpenAPI + Stream gateway together, with the `chat.dingtalk` YAML that points a bot at them. */
export interface FakeDingtalk {
  api: FakeDingtalkApi;
  gateway: Awaited<ReturnType<typeof startFakeGateway>>;
  clientId: string;
  /** The `dingtalk:` mapping (one line, flow style) for `chat:` in stream mode. */
  chatYaml(): string;
  /** Open Stream sockets the gateway sees (the leader's). */
  live(): WebSocket[];
  /**
   * Pushes a robot message (fixture robot_callback_frame) on the one live socket; the reply's
   * sessionWebhook points at the fake API with `session=<session>` (default: the messageId).
   */
  pushRobotMessage(o: { messageId: string; text: string; conversationId?: string; senderStaffId?: string; session?: string }): void;
  close(): Promise<void>;
}

/** Starts the fake OpenAPI and the fake Stream gateway. Close it in afterEach/afterAll. */
export async function startFakeDingtalk(o: { clientId?: string } = {}): Promise<FakeDingtalk> {
  const api = await startFakeDingtalkApi();
  const gateway = await startFakeGateway();
  const clientId = o.clientId ?? 'dingE2Eappkey';
  return {
    api,
    gateway,
    clientId,
    chatYaml: () =>
      `dingtalk: { mode: stream, clientId: ${clientId}, clientSecret: e2e-app-secret, robotCode: ${clientId}, apiBase: "${api.base}", oapiBase: "${api.base}", gatewayUrl: "${gateway.gatewayUrl}" }`,
    live: () => gateway.live(),
    pushRobotMessage(m) {
      const ws = gateway.live();
      if (ws.length !== 1) throw new Error(`pushRobotMessage: ${ws.length} live Stream sockets, expected 1`);
      const base = FRAMES['robot_callback_frame']!;
      const data = {
        ...(JSON.parse(base.data) as Record<string, unknown>),
        msgId: `msg-${m.messageId}`,
        text: { content: m.text },
        ...(m.conversationId ? { conversationId: m.conversationId } : {}),
        ...(m.senderStaffId ? { senderStaffId: m.senderStaffId } : {}),
        sessionWebhook: `${api.base}/robot/sendBySession?session=${encodeURIComponent(m.session ?? m.messageId)}`,
        sessionWebhookExpiredTime: Date.now() + 3_600_000,
        createAt: Date.now(),
      };
      gateway.push(ws[0]!, { ...base, headers: { ...base.headers, messageId: m.messageId, time: String(Date.now()) }, data: JSON.stringify(data) });
    },
    async close() {
      await gateway.close();
      await api.close();
    },
  };
}
