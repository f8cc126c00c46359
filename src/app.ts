/**
 * The composition root as a function: config + store → coordination → features → bot, adapters,
 * sources → HTTP app. main.ts adds the process (signals, stdin); tests and benches call `createOpsbot`.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { ConsoleIO } from './adapters/console/feature.ts';
import type { Config } from './config/schema.ts';
import { Bot } from './core/bot.ts';
import { Confirmations } from './core/confirm.ts';
import type { DeliveryPipeline } from './core/deliveries.ts';
import { Dispatcher } from './core/dispatch.ts';
import { EventBus } from './core/events.ts';
import { ServiceRegistry, type Contribution, type FeatureDeps, type ServiceLookup } from './core/feature.ts';
import type { IncomingMessage } from './core/message.ts';
import { mountSource } from './core/mount-source.ts';
import { ChatOutbox } from './core/outbox.ts';
import { Redactor } from './core/redact.ts';
import { secretsOf } from './config/secrets.ts';
import { People } from './core/people.ts';
import { CommandRegistry } from './core/registry.ts';
import { COMMANDS, CONFIRMATIONS, OUTBOX } from './core/services.ts';
import { startTakeoverLoop } from './core/takeover.ts';
import type { ChatAdapter, WebhookRoute } from './core/transport.ts';
import { features as allFeatures, registerAllMessages } from './features.ts';
import { PLATFORM_IDENTITIES } from './platforms.ts';
import { webhookObserver } from './metrics/observers.ts';
import { createMetrics, type Metrics } from './server/metrics.ts';
import { createApp, listen } from './server/server.ts';
import type { Held } from './store/coordination.ts';
import { createCoordination } from './store/create-coordination.ts';
import { createStore } from './store/create-store.ts';
import type { Store } from './store/types.ts';

export interface OpsbotOptions {
  config: Config;
  log: Logger;
  store?: Store;
  /** Extra chat adapters (tests: a CaptureAdapter). */
  adapters?: ChatAdapter[];
  /** Console I/O (default: process stdin/stdout when chat.console is on). */
  consoleIO?: ConsoleIO;
  clock?: () => number;
  /** loadConfig's `secrets` (main.ts); default: the values under secret keys of `config`. */
  secrets?: string[];
}

export interface Opsbot {
  bot: Bot;
  dispatcher: Dispatcher;
  registry: CommandRegistry;
  /** What the features provided (DEPLOYS, SENTRY, …). */
  services: ServiceLookup;
  deliveries: DeliveryPipeline;
  outbox: ChatOutbox;
  /** The Prometheus registry /metrics serves. */
  metrics: Metrics;
  routes: WebhookRoute[];
  /** The redaction every text to a chat, a task log or an upstream error passes through. */
  redactor: Redactor;
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
  const coordination = createCoordination({ store, config, log, clock });
  const events = new EventBus((err, event) => log.error({ err, event: event.type }, 'event handler failed'));
  const ledger = coordination.outboxLedger({ budgetPerMinute: config.chat.budgetPerMinute, clock });
  const metrics = createMetrics({ outboxCounts: () => ledger.counts() });
  // Secrets never reach a chat: every reply and card passes the same redaction the logs use (keyed on the
  // configured secret values themselves, not only on field names).
  const redactor = new Redactor(opts.secrets ?? secretsOf(config));
  const outbox = new ChatOutbox(log, {
    budgetPerMinute: config.chat.budgetPerMinute,
    clock,
    ledger,
    redact: redactor.reply,
    retry: { budgetMs: config.chat.retryBudgetHours * 3_600_000, baseMs: config.chat.retryBaseMs, maxMs: config.chat.retryMaxMs },
    onOutcome: (platform, outcome) => metrics.outboxSends.inc({ platform, outcome }),
  });
  const features = allFeatures(opts.consoleIO ? { consoleIO: opts.consoleIO } : {});
  registerAllMessages(features);
  // Every feature's commands are registered, on or off: /help lists them, and a command whose feature
  // is off answers "not configured" (dispatch.ts resolveUses).
  const registry = new CommandRegistry(features.flatMap((f) => f.commands ?? []));
  const confirmations = new Confirmations(store, config.confirm.ttlSeconds * 1000, clock);
  const services = new ServiceRegistry();
  services.provide(COMMANDS, registry);
  services.provide(CONFIRMATIONS, confirmations);
  services.provide(OUTBOX, outbox);
  const people = new People(config, PLATFORM_IDENTITIES);
  const dispatcher = new Dispatcher({
    config, store, log, outbox, locale: config.locale, clock, registry, services, people, confirmations, confirmTtlMs: config.confirm.ttlSeconds * 1000,
    onCommand: (command, outcome) => metrics.commands.inc({ command, outcome }),
  });
  const bot = new Bot({
    dispatcher, store, outbox, log, clock,
    isKnownSender: (sender) => people.personOf(sender) !== undefined,
    ...(coordination.shared ? { takeoverAfterMs: 60_000 } : {}),
  });
  const deliveries = coordination.deliveries;
  let state: Opsbot['state'] = 'starting';

  const onMessage = async (msg: IncomingMessage) => {
    const r = await bot.handleMessage(msg);
    metrics.messages.inc({ platform: msg.platform, duplicate: String(r.duplicate) });
  };
  const deps: FeatureDeps = { config, log, store, events, outbox, locale: config.locale, clock, redactor, metrics, people, coordination, services, onMessage };
  const contributions: Contribution[] = [];
  for (const f of features) {
    if (!f.enabled(config)) continue;
    const c = await f.setup(deps);
    for (const p of c.provides ?? []) services.provide(p.key, p.value);
    contributions.push(c);
  }
  const adapters: ChatAdapter[] = [...(opts.adapters ?? []), ...contributions.flatMap((c) => c.adapters ?? [])];
  for (const a of adapters) outbox.register(a);
  const routes = [
    ...adapters.flatMap((a) => a.routes()),
    ...contributions.flatMap((c) => c.routes ?? []),
    ...contributions.flatMap((c) => c.sources ?? []).map((s) => mountSource(s, { deliveries, events, log, observer: webhookObserver(metrics) })),
  ];
  const storage = store.health;
  storage?.onFailure(() => metrics.storageWriteFailures.inc());
  const app = createApp({
    log, metrics, routes, bodyLimitBytes: config.server.bodyLimitBytes, bodyTimeoutMs: config.server.bodyTimeoutSeconds * 1000,
    state: () => state, ...(storage ? { storage } : {}),
  });
  let server: Server | undefined;
  const held: Held[] = [];
  let stopTakeover: (() => void) | undefined;

  return {
    bot,
    dispatcher,
    registry,
    services,
    deliveries,
    outbox,
    metrics,
    routes,
    redactor,
    get state() {
      return state;
    },
    async start(listenOn) {
      if (listenOn) {
        const sv = config.server;
        server = await listen(app, listenOn.port, listenOn.host, {
          maxConnections: sv.maxConnections,
          headersTimeoutMs: sv.headersTimeoutSeconds * 1000,
          requestTimeoutMs: (sv.bodyTimeoutSeconds + sv.headersTimeoutSeconds) * 1000,
        });
      }
      const recovered = await deliveries.recover();
      if (recovered > 0) log.info({ recovered }, 're-queued deliveries acknowledged before the last stop');
      // Adapters first: recovering tasks announces interrupted deploys in their chats.
      for (const a of adapters) await startAdapter(a);
      // Sends queued before the last stop (or crash) are resumed once the adapters are up.
      await outbox.start();
      // Timers start after every feature registered its handlers.
      await coordination.timers.start();
      await coordination.start();
      for (const c of contributions) await c.start?.();
      const unanswered = await bot.recover();
      if (unanswered > 0) log.info({ unanswered }, 'answering chat messages acknowledged before the last stop');
      if (coordination.shared) stopTakeover = startTakeoverLoop(bot, log);
      state = 'ready';
      return server;
    },
    async stop() {
      state = 'draining';
      stopTakeover?.();
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
      // Timers first, so no handler runs into a closing store; features (deploy tasks) before the
      // adapters, so their last cards can still go out.
      await coordination.timers.stop().catch((err: unknown) => log.warn({ err }, 'timers stop failed'));
      for (const c of [...contributions].reverse()) await c.stop?.().catch((err: unknown) => log.warn({ err }, 'feature stop failed'));
      for (const h of held) await h.stop();
      for (const a of adapters) await a.stop().catch((err: unknown) => log.warn({ err }, 'adapter stop failed'));
      outbox.stop();
      await store.close();
    },
  };

  /** A long connection is held by one replica at a time (coordination.hold); anything else starts here. */
  async function startAdapter(a: ChatAdapter): Promise<void> {
    try {
      // opsbot_chat_connection_held: 1 on the replica that holds the platform's long connection (metrics/operational.ts).
      const mark = (v: number) => metrics.connectionHeld.set({ platform: a.platform }, v);
      if (a.holdsConnection) {
        mark(0);
        held.push(await coordination.hold(`connection:${a.platform}`, {
          start: async () => {
            await a.start();
            mark(1);
          },
          stop: async () => {
            mark(0);
            await a.stop();
          },
        }));
      } else await a.start();
    } catch (err) {
      log.error({ err, platform: a.platform }, 'chat adapter failed to start');
    }
  }
}
