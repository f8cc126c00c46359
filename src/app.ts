/**
 * The composition root as a function: config + store → services → bot, adapters, sources → HTTP app.
 * main.ts adds the process (signals, stdin); tests and benches call `createOpsbot` directly.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { commands } from '../commands/index.ts';
import type { ChatAdapter, WebhookRoute } from './adapters/types.ts';
import { createConsoleAdapter } from './adapters/console/index.ts';
import type { Config } from './config/schema.ts';
import { Bot } from './core/bot.ts';
import { Confirmations } from './core/confirm.ts';
import { DeliveryPipeline } from './core/deliveries.ts';
import { EventBus } from './core/events.ts';
import type { IncomingMessage } from './core/message.ts';
import { ChatOutbox } from './core/outbox.ts';
import { CommandRegistry } from './core/registry.ts';
import type { Services } from './core/services.ts';
import { setupFeatures } from './features.ts';
import { createMetrics } from './server/metrics.ts';
import { createApp, listen } from './server/server.ts';
import { createStore } from './store/create-store.ts';
import type { Store } from './store/types.ts';
import { createLeaderElection, type LeaderElection } from './store/leader.ts';
import { PostgresStore } from './store/postgres-store.ts';
import { PgDeliveryPipeline } from './store/postgres/delivery-pipeline.ts';
import { PgOutboxLedger } from './store/postgres/outbox-ledger.ts';

export interface OpsbotOptions {
  config: Config;
  log: Logger;
  store?: Store;
  /** Extra chat adapters (tests: a CaptureAdapter). */
  adapters?: ChatAdapter[];
  /** Console I/O (default: process stdin/stdout when chat.console is on). */
  consoleIO?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };
  clock?: () => number;
}

export interface Opsbot {
  services: Services;
  bot: Bot;
  deliveries: DeliveryPipeline;
  outbox: ChatOutbox;
  routes: WebhookRoute[];
  /** Start long-lived work (recover deliveries/tasks, connect adapters) and listen. */
  start(listenOn?: { port: number; host: string }): Promise<Server | undefined>;
  /** Stop accepting, drain in-flight work, flush the store. */
  stop(): Promise<void>;
  readonly state: 'starting' | 'ready' | 'draining';
}

export async function createOpsbot(opts: OpsbotOptions): Promise<Opsbot> {
  const { config, log } = opts;
  const clock = opts.clock ?? Date.now;
  const store = opts.store ?? (await createStore(config, process.cwd(), log));
  const events = new EventBus((err, event) => log.error({ err, event: event.type }, 'event handler failed'));
  const outbox = new ChatOutbox(log, {
    budgetPerMinute: config.chat.budgetPerMinute,
    clock,
    // Several replicas (postgres): the per-chat budget and the waiting queue live in the database (issue 9 §5).
    ...(store instanceof PostgresStore ? { ledger: new PgOutboxLedger(store.pool, { budgetPerMinute: config.chat.budgetPerMinute }) } : {}),
  });
  const registry = new CommandRegistry(commands);
  const confirmations = new Confirmations(store, config.confirm.ttlSeconds * 1000, clock);
  const services: Services = { config, store, events, outbox, log, locale: config.locale, clock, confirmations, commands: registry };
  const shared = store.driver === 'postgres';
  const bot = new Bot({ services, registry, confirmations, confirmTtlMs: config.confirm.ttlSeconds * 1000, ...(shared ? { takeoverAfterMs: 60_000 } : {}) });
  const deliveries =
    store instanceof PostgresStore
      ? new PgDeliveryPipeline(store, log, { retention: config.storage.deliveriesRetention, leaseMs: config.storage.leaseSeconds * 1000 })
      : new DeliveryPipeline(store, log, { retention: config.storage.deliveriesRetention });
  const metrics = createMetrics();
  let state: Opsbot['state'] = 'starting';

  const onMessage = async (msg: IncomingMessage) => {
    const r = await bot.handleMessage(msg);
    metrics.messages.inc({ platform: msg.platform, duplicate: String(r.duplicate) });
  };
  const adapters: ChatAdapter[] = [...(opts.adapters ?? [])];
  if (config.chat.console !== false) {
    adapters.push(createConsoleAdapter({ onMessage, ...(opts.consoleIO ?? {}) }));
  }
  const features = await setupFeatures({ config, log, store, services, deliveries, onMessage, metrics });
  adapters.push(...features.adapters);
  for (const a of adapters) outbox.register(a);
  const routes = [...adapters.flatMap((a) => a.routes()), ...features.routes];
  const app = createApp({ log, metrics, routes, bodyLimitBytes: config.server.bodyLimitBytes, state: () => state });
  let server: Server | undefined;
  const elections: LeaderElection[] = [];
  let takeover: NodeJS.Timeout | undefined;

  return {
    services,
    bot,
    deliveries,
    outbox,
    routes,
    get state() {
      return state;
    },
    async start(listenOn) {
      if (listenOn) server = await listen(app, listenOn.port, listenOn.host);
      const recovered = await deliveries.recover();
      if (recovered > 0) log.info({ recovered }, 're-queued deliveries acknowledged before the last stop');
      // Adapters first: recovering tasks announces interrupted deploys in their chats.
      for (const a of adapters) {
        // With several replicas (postgres), one leader holds each long connection (DingTalk Stream,
        // WeCom aibot websocket): a session advisory lock, taken over within seconds (scale-out.md).
        if (store.driver === 'postgres' && config.storage.url && (a.platform === 'dingtalk' || a.platform === 'wecom')) {
          elections.push(
            createLeaderElection({
              url: config.storage.url,
              lockKey: `connection:${a.platform}`,
              log,
              onElected: () => void a.start().catch((err: unknown) => log.error({ err, platform: a.platform }, 'chat adapter failed to start')),
              onDemoted: () => void a.stop().catch((err: unknown) => log.warn({ err, platform: a.platform }, 'chat adapter stop failed')),
            }),
          );
          continue;
        }
        try {
          await a.start();
        } catch (err) {
          log.error({ err, platform: a.platform }, 'chat adapter failed to start');
        }
      }
      await features.start();
      const unanswered = await bot.recover();
      if (unanswered > 0) log.info({ unanswered }, 'answering chat messages acknowledged before the last stop');
      if (shared) {
        // A replica that died between acknowledging a message and answering it: another one answers.
        takeover = setInterval(() => {
          void bot.recover().then(
            (n) => n > 0 && log.warn({ unanswered: n }, 'answering chat messages left by a replica that stopped'),
            (err: unknown) => log.warn({ err }, 'chat message takeover failed'),
          );
        }, 30_000);
        takeover.unref();
      }
      state = 'ready';
      return server;
    },
    async stop() {
      state = 'draining';
      if (takeover) clearInterval(takeover);
      if (server) {
        const s = server;
        await new Promise<void>((r) => {
          s.close(() => r());
          s.closeIdleConnections();
          setTimeout(() => s.closeAllConnections(), 3000).unref();
        });
      }
      await Promise.race([Promise.all([bot.idle(), deliveries.idle()]), new Promise((r) => setTimeout(r, 5000).unref())]);
      await deliveries.stop();
      // Features (deploy tasks) stop before the adapters, so their last cards can still go out.
      await features.stop();
      for (const e of elections) await e.stop();
      for (const a of adapters) await a.stop().catch((err: unknown) => log.warn({ err }, 'adapter stop failed'));
      outbox.stop();
      await store.close();
    },
  };
}
