/**
 * Stream mode: the real `dingtalk-stream` DWClient under our own supervisor (packages.md §2.4–2.6).
 * The SDK runs with `autoReconnect:false, keepAlive:false` because its own reconnect storms and its
 * keepAlive leaks intervals (§2.4 bugs 1–2). The supervisor: a fresh gateway ticket per connection
 * (a ticket opens one connection only, chat-platforms.md §1.1), one socket at a time, capped
 * exponential backoff with ±20 % jitter, an idle watchdog (our own ws pings + any frame count as
 * life), and acks BEFORE processing so a throwing handler can never reach the ws listener (bug 3).
 */
import type { Logger } from 'pino';
import { request } from 'undici';
import WebSocket from 'ws';
import { DWClient, TOPIC_CARD, TOPIC_ROBOT, type DWClientDownStream } from 'dingtalk-stream';
import type { DingtalkConfig } from './config.ts';

/** Supervisor timings (injectable so tests run in a few seconds). */
export interface StreamTimings {
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** ±fraction applied to each delay. */
  jitter: number;
  /** No frame and no pong for this long → terminate and reconnect. */
  idleTimeoutMs: number;
  /** Our own ws ping (0 = off); the gateway's pong keeps the watchdog fed on quiet links. */
  pingIntervalMs: number;
  /** Gateway POST + WebSocket open must finish within this. */
  connectTimeoutMs: number;
  /** A connection that lived this long resets the backoff (a flapping gateway keeps backing off). */
  stableAfterMs: number;
}

export const DEFAULT_TIMINGS: StreamTimings = {
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  jitter: 0.2,
  idleTimeoutMs: 90_000,
  pingIntervalMs: 30_000,
  connectTimeoutMs: 15_000,
  stableAfterMs: 30_000,
};

type ClientOpts = ConstructorParameters<typeof DWClient>[0];

/** DWClient whose gateway POST goes to config.gatewayUrl (packages.md §2.5 option B). */
export class GatewayClient extends DWClient {
  /** Called for every downstream frame (liveness). */
  onFrame: (frame: DWClientDownStream | undefined) => void = () => {};
  /** Called when the SDK could not handle a frame (it would otherwise throw into ws, bug 3). */
  onFrameError: (err: unknown) => void = () => {};

  constructor(
    opts: { clientId: string; clientSecret: string; ua?: string },
    private readonly gatewayUrl: string,
    private readonly gatewayTimeoutMs: number,
  ) {
    super({ ...opts, keepAlive: false, autoReconnect: false } as ClientOpts);
    // defaultConfig.subscriptions is shared by every DWClient in the process (bug 4): copy it.
    (this.config as { subscriptions: Array<{ type: string; topic: string }> }).subscriptions = this.config.subscriptions.map((s) => ({ ...s }));
  }

  override async getEndpoint(): Promise<this> {
    const c = this.config;
    const res = await request(this.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ clientId: c.clientId, clientSecret: c.clientSecret, ua: c.ua, subscriptions: c.subscriptions }),
      headersTimeout: this.gatewayTimeoutMs,
      bodyTimeout: this.gatewayTimeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`gateway HTTP ${res.statusCode}`);
    let parsed: { endpoint?: string; ticket?: string };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new Error('gateway answered non-JSON');
    }
    if (!parsed.endpoint || !parsed.ticket) throw new Error('gateway: endpoint or ticket missing');
    (this as unknown as { dw_url: string }).dw_url = `${parsed.endpoint}?ticket=${encodeURIComponent(parsed.ticket)}`;
    return this;
  }

  override onDownStream(data: string): void {
    let frame: DWClientDownStream | undefined;
    try {
      frame = JSON.parse(String(data)) as DWClientDownStream;
    } catch (err) {
      this.onFrame(undefined);
      this.onFrameError(err);
      return; // a malformed frame must not throw into the ws receiver
    }
    this.onFrame(frame);
    try {
      super.onDownStream(data);
    } catch (err) {
      this.onFrameError(err);
    }
  }

  /** The current socket (a private SDK field). */
  get ws(): WebSocket | undefined {
    return (this as unknown as { socket?: WebSocket }).socket;
  }
}

/** What the stream hands up: the frame's `data` string and its messageId (already acked). */
export interface StreamHandlers {
  robot(data: string, messageId: string): Promise<void>;
  card(data: string, messageId: string): Promise<void>;
}

export interface StreamStats {
  attempts: number;
  connects: number;
  idleTerminations: number;
  handlerErrors: number;
}

/** Keeps exactly one live Stream connection, reconnecting with backoff. */
export class StreamSupervisor {
  readonly client: GatewayClient;
  readonly stats: StreamStats = { attempts: 0, connects: 0, idleTerminations: 0, handlerErrors: 0 };
  private readonly t: StreamTimings;
  private running = false;
  private connecting = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private live: WebSocket | undefined;

  constructor(
    private readonly deps: {
      config: DingtalkConfig;
      log: Logger;
      handlers: StreamHandlers;
      timings?: Partial<StreamTimings>;
      random?: () => number;
    },
  ) {
    this.t = { ...DEFAULT_TIMINGS, ...deps.timings };
    const c = deps.config;
    this.client = new GatewayClient({ clientId: c.clientId, clientSecret: c.clientSecret, ua: 'opsbot' }, c.gatewayUrl, this.t.connectTimeoutMs);
    this.client.onFrame = (frame) => {
      this.bumpIdle();
      if (frame?.type === 'SYSTEM' && frame.headers?.topic === 'disconnect') {
        // The gateway is about to drop us (§1.2): reconnect now with a fresh ticket.
        deps.log.info('dingtalk stream: gateway asked to reconnect');
        this.live?.close();
      }
    };
    this.client.onFrameError = (err) => deps.log.warn({ err: (err as Error).message }, 'dingtalk stream: bad frame ignored');
    this.client.registerCallbackListener(TOPIC_ROBOT, (m) => this.dispatch('robot', m));
    this.client.registerCallbackListener(TOPIC_CARD, (m) => this.dispatch('card', m));
  }

  /** Ack first (robot: `{response:null}`, card: `{response:{}}` = no per-user change), then process async. */
  private dispatch(kind: 'robot' | 'card', m: DWClientDownStream): void {
    const messageId = m.headers?.messageId ?? '';
    try {
      this.client.socketCallBackResponse(messageId, kind === 'robot' ? null : {});
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, messageId }, 'dingtalk stream: ack failed');
    }
    void Promise.resolve()
      .then(() => this.deps.handlers[kind](m.data, messageId))
      .catch((err: unknown) => {
        this.stats.handlerErrors++;
        this.deps.log.error({ err: (err as Error)?.message, messageId, kind }, 'dingtalk stream: handler failed');
      });
  }

  /** True while a socket is open. */
  get connected(): boolean {
    return this.live?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.clearLiveness();
    const ws = this.live ?? this.client.ws;
    this.live = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      ws.close();
      const timer = setTimeout(() => ws.terminate(), 1_000);
      await closed;
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    this.retryTimer = undefined;
    if (!this.running || this.connecting || this.live) return;
    this.connecting = true;
    this.stats.attempts++;
    const guard = setTimeout(() => this.client.ws?.terminate(), this.t.connectTimeoutMs);
    try {
      await this.client.getEndpoint(); // a fresh ticket for every connection
      await this.client._connect();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error)?.message, attempt: this.attempt }, 'dingtalk stream: connect failed');
    } finally {
      clearTimeout(guard);
      this.connecting = false;
    }
    const ws = this.client.ws;
    if (!this.running) {
      ws?.terminate();
      return;
    }
    if (!ws || ws.readyState !== WebSocket.OPEN) return this.schedule();
    this.adopt(ws);
  }

  private adopt(ws: WebSocket): void {
    this.live = ws;
    this.stats.connects++;
    const openedAt = Date.now();
    this.deps.log.info({ connects: this.stats.connects }, 'dingtalk stream: connected');
    this.bumpIdle();
    ws.on('pong', () => this.bumpIdle());
    if (this.t.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.ping();
      }, this.t.pingIntervalMs);
    }
    ws.once('close', () => {
      if (this.live !== ws) return;
      this.live = undefined;
      this.client.connected = false;
      this.clearLiveness();
      if (Date.now() - openedAt >= this.t.stableAfterMs) this.attempt = 0;
      if (this.running) {
        this.deps.log.warn('dingtalk stream: socket closed; reconnecting');
        this.schedule();
      }
    });
  }

  /** One pending retry at most; delay = min(max, base·2^n) ± jitter. */
  private schedule(): void {
    if (!this.running || this.retryTimer || this.connecting || this.live) return;
    const raw = Math.min(this.t.backoffMaxMs, this.t.backoffBaseMs * 2 ** this.attempt);
    const delay = Math.round(raw * (1 + this.t.jitter * (2 * (this.deps.random ?? Math.random)() - 1)));
    this.attempt++;
    this.retryTimer = setTimeout(() => void this.run(), delay);
  }

  private bumpIdle(): void {
    clearTimeout(this.idleTimer);
    const ws = this.live;
    if (!ws || !this.running) return;
    this.idleTimer = setTimeout(() => {
      if (this.live !== ws) return;
      this.stats.idleTerminations++;
      this.deps.log.warn({ idleMs: this.t.idleTimeoutMs }, 'dingtalk stream: no frame or pong; terminating the socket');
      ws.terminate();
    }, this.t.idleTimeoutMs);
  }

  private clearLiveness(): void {
    clearTimeout(this.idleTimer);
    clearInterval(this.pingTimer);
    this.idleTimer = undefined;
    this.pingTimer = undefined;
  }
}
