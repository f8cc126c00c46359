/**
 * The WeCom (企业微信) chat adapter: self-built app callback + message/send, the 智能机器人 in long-
 * connection or API mode, and group-robot pushes (chat-platforms.md §5–8, issue 6).
 */
import { wecomIdentity } from './identity.ts';
import type { Logger } from 'pino';
import type { Locale } from '../../core/i18n.ts';
import type { IncomingMessage, OutgoingMessage } from '../../core/message.ts';
import type { Store } from '../../store/types.ts';
import type { ChatAdapter, WebhookRoute } from '../types.ts';
import type { WecomConfig } from './config.ts';
import { appRoutes } from './app-routes.ts';
import { aibotHttpRoutes, PassiveReplies } from './aibot-http.ts';
import { AibotConnection } from './aibot-ws.ts';
import type { AibotHealth, WsFrame } from './aibot-ws.ts';
import { aibotIncoming, parseAibotBody } from './aibot-message.ts';
import type { AibotContext } from './aibot-message.ts';
import { WecomClient } from './client.ts';
import { WecomSender } from './sender.ts';
import { RecentIds, WecomState } from './state.ts';

export { wecomConfigSchema } from './config.ts';
export type { WecomConfig } from './config.ts';

export interface WecomAdapterDeps {
  config: WecomConfig;
  onMessage(msg: IncomingMessage): Promise<void>;
  log: Logger;
  store?: Store;
  /** `config.locale`, for the "truncated" marker; unset = a bilingual marker. */
  locale?: Locale;
  /** Test seams. */
  clock?: () => number;
  aibotTiming?: { pingIntervalMs?: number; backoffInitialMs?: number; backoffMaxMs?: number; requestTimeoutMs?: number; clickWaitMs?: number; takeoverPauseMs?: number };
}

/** The WeCom adapter; also exposes its API client and long connection for the lead and tests. */
export interface WecomAdapter extends ChatAdapter {
  readonly client: WecomClient;
  readonly connection?: AibotConnection;
  /** Long-connection health (taken over by another process, takeovers so far) for /metrics. */
  stats(): { aibot?: AibotHealth };
}

/** Build the adapter. Routes: GET/POST /webhooks/wecom, and /webhooks/wecom/aibot in API mode. */
export function createWecomAdapter(deps: WecomAdapterDeps): WecomAdapter {
  const { config, log } = deps;
  const clock = deps.clock ?? Date.now;
  const state = new WecomState(deps.store);
  const recent = new RecentIds();
  const passive = new PassiveReplies();
  const client = new WecomClient({ apiBase: config.apiBase, corpId: config.corpId, secret: config.secret, agentId: config.agentId, log, clock });
  const aibot = config.aibot;
  const timing = deps.aibotTiming ?? {};

  let sender: WecomSender | undefined = undefined;
  const onFrame = (frame: WsFrame): void => {
    void (async () => {
      const body = parseAibotBody(frame.body);
      const reqId = frame.headers?.req_id;
      if (!body || !reqId) {
        log.warn({ cmd: frame.cmd }, 'wecom aibot: callback frame without a usable body');
        return;
      }
      const msg = await aibotIncoming(body, { via: 'aibot-ws', reqId, at: clock() }, state);
      if (!msg || recent.seen(msg.id)) return;
      if (msg.fromAction) sender?.noteClick(msg.replyContext as AibotContext);
      try {
        await deps.onMessage(msg);
      } catch (err) {
        recent.forget(msg.id);
        log.error({ err: (err as Error).message, id: msg.id }, 'wecom aibot: onMessage failed');
      }
    })().catch((err: unknown) => log.error({ err: (err as Error).message }, 'wecom aibot: callback handling failed'));
  };

  const connection =
    aibot?.mode === 'websocket' && aibot.secret
      ? new AibotConnection({ url: aibot.url, botId: aibot.botId, secret: aibot.secret, log, onCallback: onFrame, ...timing })
      : undefined;
  sender = new WecomSender({ state, client, log, passive, clock, ...(connection ? { conn: connection } : {}), ...(deps.locale ? { locale: deps.locale } : {}) });
  const s = sender;

  return {
    platform: 'wecom',
    addressPrefixes: wecomIdentity.addressPrefixes,
    // The 智能机器人 long connection is held by one replica at a time (chat-platforms.md, scale-out.md).
    holdsConnection: true,
    client,
    ...(connection ? { connection } : {}),
    stats: () => (connection ? { aibot: connection.health() } : {}),
    routes(): WebhookRoute[] {
      const routes = appRoutes({ config, state, recent, log, onMessage: deps.onMessage });
      if (aibot?.mode === 'http') {
        routes.push(
          ...aibotHttpRoutes({
            aibot,
            state,
            recent,
            passive,
            log,
            onMessage: deps.onMessage,
            renderUpdate: (reply, ctx) => s.renderUpdate(reply, ctx),
            ...(timing.clickWaitMs !== undefined ? { clickWaitMs: timing.clickWaitMs } : {}),
          }),
        );
      }
      return routes;
    },
    async start(): Promise<void> {
      connection?.start();
    },
    async stop(): Promise<void> {
      await connection?.stop();
    },
    send(msg: OutgoingMessage): Promise<void> {
      return s.send(msg);
    },
  };
}
