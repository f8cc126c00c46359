/**
 * The DingTalk ChatAdapter (issue 5): Stream or HTTP robot in, sessionWebhook / OpenAPI / interactive
 * cards out. Wiring: `createDingtalkAdapter({ config: cfg.chat.dingtalk, onMessage, log, store })`.
 */
import type { Logger } from 'pino';
import type { Locale } from '../../core/i18n.ts';
import type { IncomingMessage, OutgoingMessage } from '../../core/message.ts';
import type { Store } from '../../store/types.ts';
import type { ChatAdapter, WebhookRoute } from '../types.ts';
import { dingtalkIdentity } from './identity.ts';
import { DingtalkClient, type DingtalkApiStats } from './client.ts';
import { hasDingtalkApp, type DingtalkConfig } from './config.ts';
import type { Person } from '../../config/schema.ts';
import { DingtalkRobots, type RobotStats } from './robot.ts';
import { dingtalkWebhookRoute } from './http.ts';
import { cardClickToMessage, parseCardCallback, parseRobotMessage } from './parse.ts';
import { RecentIds } from './recent.ts';
import { SignLedger } from './replay.ts';
import { DingtalkQuota, QUOTA_COLLECTION, type QuotaRecord, type QuotaSnapshot } from './quota.ts';
import { DingtalkSender, type CardRecord } from './send.ts';
import { StreamSupervisor, type StreamStats, type StreamTimings } from './stream.ts';

export { dingtalkConfigSchema, type DingtalkConfig } from './config.ts';

/** Repeated clicks on the same button by the same user within this window are ignored. */
const CLICK_WINDOW_MS = 5_000;

export interface DingtalkAdapterDeps {
  config: DingtalkConfig;
  onMessage(msg: IncomingMessage): Promise<void>;
  log: Logger;
  /**
   * Persists the cardKey → card map (collection `dingtalk-cards`) so updates survive restarts, and in
   * HTTP mode the timestamp+sign pairs already used (collection `dingtalk-signs`, replay.ts).
   */
  store?: Store;
  /** Tests: faster supervisor timings, a fixed clock, no retry delays. */
  streamTimings?: Partial<StreamTimings>;
  clock?: () => number;
  retryBaseMs?: number;
  /** `config.locale`, for the "truncated" marker and hints; unset = a bilingual marker. */
  locale?: Locale;
  /** `people`, to name who should have been notified where an @ cannot reach (mentions.ts). */
  people?: Record<string, Person>;
  /** Custom-robot actionCards: a URL that runs a command (from server.publicUrl); unset: typed commands. */
  commandUrl?: (command: string) => string;
  /** `server.publicUrl`: in HTTP mode, card clicks are registered to come back to `<publicUrl>/webhooks/dingtalk`. */
  publicUrl?: string | undefined;
  /** The 80 %/95 % monthly-quota warnings, for `chat.adminChat` (feature.ts sends them through the outbox). */
  onQuotaWarning?: (text: string) => void;
  /** Each metered OpenAPI call (feature.ts: `opsbot_platform_calls_total{platform="dingtalk"}`). */
  onApiCall?: () => void;
  /** Tests: how often the month's call count is written (default 5 s). */
  quotaFlushMs?: number;
  /** Tests: the custom robots' window (default 20 a minute, §4.2) and throttle hold. */
  robotTimings?: { windowMs?: number; perMinute?: number; throttleMs?: number };
}

/** The DingTalk adapter plus counters for /metrics. */
export interface DingtalkAdapter extends ChatAdapter {
  /** OpenAPI usage (cards count against the monthly quota) and stream health. */
  stats(): {
    api: DingtalkApiStats;
    stream?: StreamStats;
    streamConnected: boolean;
    robots: RobotStats;
    mentionsUnnotified: number;
    cardRefreshesThrottled: number;
    quotaRobotFallbacks: number;
    quota: QuotaSnapshot;
  };
}

export function createDingtalkAdapter(deps: DingtalkAdapterDeps): DingtalkAdapter {
  const { config, log } = deps;
  const clock = deps.clock ?? Date.now;
  // Metered OpenAPI calls per month (§4.8), persisted per `YYYY-MM` (Asia/Shanghai).
  const quota = new DingtalkQuota({
    monthlyQuota: config.monthlyQuota,
    log,
    clock,
    ...(deps.store ? { collection: deps.store.collection<QuotaRecord>(QUOTA_COLLECTION, { tier: 'hot' }) } : {}),
    ...(deps.quotaFlushMs !== undefined ? { flushMs: deps.quotaFlushMs } : {}),
    ...(deps.onQuotaWarning ? { onWarning: deps.onQuotaWarning } : {}),
    ...(deps.onApiCall ? { onCall: deps.onApiCall } : {}),
  });
  const client = new DingtalkClient({ config, log, clock, quota, ...(deps.retryBaseMs !== undefined ? { retryBaseMs: deps.retryBaseMs } : {}) });
  const app = hasDingtalkApp(config);
  const robots = new DingtalkRobots({ robots: config.robots, oapiBase: config.oapiBase, log, clock, ...(deps.robotTimings ?? {}) });
  const cards = deps.store?.collection<CardRecord>('dingtalk-cards', { tier: 'bulk', maxItems: 5000 });
  const sender = new DingtalkSender({
    config,
    client,
    log,
    clock,
    interactiveCards: config.mode === 'stream',
    appEnabled: app,
    robots,
    quota,
    ...(deps.people ? { people: deps.people } : {}),
    ...(deps.commandUrl ? { commandUrl: deps.commandUrl } : {}),
    ...(deps.locale ? { locale: deps.locale } : {}),
    ...(cards ? { cards } : {}),
  });
  const recent = new RecentIds(2000);
  const recentClicks = new RecentIds(500, CLICK_WINDOW_MS);

  const deliver = async (msg: IncomingMessage): Promise<void> => {
    if (!recent.add(msg.id)) return log.debug({ id: msg.id }, 'dingtalk: duplicate message ignored');
    sender.observe(msg);
    try {
      await deps.onMessage(msg);
    } catch (err) {
      recent.delete(msg.id); // not recorded: let DingTalk's redelivery through
      throw err;
    }
  };

  const stream =
    // Robots only (no app): no Stream connection, no OpenAPI, no route.
    app && config.mode === 'stream'
      ? new StreamSupervisor({
          config,
          log,
          ...(deps.streamTimings ? { timings: deps.streamTimings } : {}),
          handlers: {
            robot: async (data) => deliver(parseRobotMessage(data, clock())),
            card: async (data, messageId) => {
              const click = parseCardCallback(data);
              // A double click (same card, button, user within a few seconds) runs once (§4.8 dedupe).
              const clickKey = `${click.outTrackId}|${click.actionId ?? click.command}|${click.userId}`;
              if (!recentClicks.add(clickKey, clock())) return log.info({ outTrackId: click.outTrackId }, 'dingtalk: repeated click ignored');
              const rec = await sender.cardByTrack(click.outTrackId);
              await deliver(
                cardClickToMessage(click, {
                  ...(rec ? { chat: rec.chat, chatType: rec.chatType } : {}),
                  deliveryId: `card:${messageId}`,
                  receivedAt: clock(),
                }),
              );
            },
          },
        })
      : undefined;

  /**
   * HTTP mode has no socket for card clicks: register `<publicUrl>/webhooks/dingtalk` under the route key
   * (client.registerCardCallback) and create cards with `callbackType: HTTP`; the clicks arrive on the
   * same signed route as robot messages (http.ts). Without a public URL, or when DingTalk refuses the
   * registration, cards stay markdown with typed commands (a click that reaches nobody is worse).
   */
  const registerHttpCards = async (): Promise<void> => {
    if (!app || config.mode !== 'http' || !deps.publicUrl) return;
    const callbackUrl = `${deps.publicUrl.replace(/\/+$/, '')}/webhooks/dingtalk`;
    try {
      await client.registerCardCallback({ callbackUrl, routeKey: config.cardCallbackRouteKey });
      sender.useHttpCardCallback(config.cardCallbackRouteKey);
      log.info({ callbackUrl, routeKey: config.cardCallbackRouteKey }, 'dingtalk: HTTP card callback registered; interactive cards on');
    } catch (err) {
      log.warn({ err: (err as Error).message, callbackUrl }, 'dingtalk: card callback registration failed; cards go out as markdown with typed commands');
    }
  };

  // HTTP mode: robot messages + HTTP card callbacks. In Stream mode everything arrives on the socket.
  const routes: WebhookRoute[] =
    app && config.mode === 'http' ? [dingtalkWebhookRoute({ config, deliver, sender, clock, signs: new SignLedger(deps.store) })] : [];

  return {
    platform: 'dingtalk',
    addressPrefixes: dingtalkIdentity.addressPrefixes,
    // The Stream connection is held by one replica at a time (scale-out.md); robots alone hold nothing.
    holdsConnection: app,
    routes: () => routes,
    async start() {
      quota.start();
      await quota.ready();
      stream?.start();
      await registerHttpCards();
    },
    async stop() {
      await stream?.stop();
      await quota.stop();
    },
    send: (msg: OutgoingMessage) => sender.send(msg),
    stats: () => ({
      api: { ...client.stats },
      ...(stream ? { stream: { ...stream.stats } } : {}),
      streamConnected: stream?.connected ?? false,
      robots: { ...robots.stats },
      mentionsUnnotified: sender.stats.mentionsUnnotified,
      cardRefreshesThrottled: sender.stats.cardRefreshesThrottled,
      quotaRobotFallbacks: sender.stats.quotaRobotFallbacks,
      quota: quota.snapshot(),
    }),
  };
}
