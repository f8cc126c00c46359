/**
 * 智能机器人 long connection (chat-platforms.md §7.3–7.4; frames in
 * wecom-aibot-long-connection-frames.json). Speaks the documented frames with `ws` directly:
 * `{cmd, headers:{req_id}, body}` out, acks `{headers:{req_id}, errcode, errmsg}` back.
 * One connection per bot (a new one kicks the old), subscribe with bot id + secret, app-level ping
 * every 30 s, reconnect with capped exponential backoff and jitter.
 *
 * Taken over: when another process subscribes the same bot, the server tells the old connection
 * `disconnected_event` and drops it ("one connection per bot: a new one kicks the old", §7.3). Seen as
 * `cmd: "disconnected_event"` and as an `aibot_event_callback` whose `event.eventtype` is
 * `disconnected_event` (the official SDK emits `event.disconnected_event`; other clients stop on it,
 * "机器人被其他连接接管") [3p: WecomTeam/aibot-node-sdk users, community clients]. Reconnecting at once
 * only kicks the other process, and the two fight every second, so this connection logs why, marks
 * itself down (`health()`), and tries again only after `takeoverPauseMs` (default 10 minutes).
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { UpstreamError } from '../../core/errors.ts';

/** One frame on the long connection. */
export interface WsFrame {
  cmd?: string;
  headers?: { req_id?: string };
  body?: unknown;
  errcode?: number;
  errmsg?: string;
}

export interface AibotConnectionOptions {
  url: string;
  botId: string;
  secret: string;
  log: Logger;
  /** aibot_msg_callback / aibot_event_callback frames. */
  onCallback(frame: WsFrame): void;
  pingIntervalMs?: number;
  requestTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** After a `disconnected_event` (taken over), wait this long before connecting again. */
  takeoverPauseMs?: number;
  clock?: () => number;
}

/** Long-connection health for /metrics and logs. */
export interface AibotHealth {
  subscribed: boolean;
  /** Set while the connection stays away because another process took the bot over. */
  down?: { reason: 'taken-over'; since: number; retryAt: number };
  /** How many times the server said `disconnected_event`. */
  takeovers: number;
}

/** Default pause after a takeover (another process holds the bot). */
export const TAKEOVER_PAUSE_MS = 10 * 60_000;

/** True for the server's "another connection took this bot over" frame (see the module comment). */
export function isDisconnectedEvent(frame: WsFrame): boolean {
  if (frame.cmd === 'disconnected_event') return true;
  const ev = (frame.body as { event?: { eventtype?: unknown } } | undefined)?.event;
  return frame.cmd === 'aibot_event_callback' && ev?.eventtype === 'disconnected_event';
}

/** A req_id like the SDK's: `<cmd>_<ms>_<rand>`. */
export const newReqId = (cmd: string): string => `${cmd}_${Date.now()}_${randomBytes(4).toString('hex')}`;

export class AibotConnection {
  private ws: WebSocket | undefined;
  private stopped = true;
  private attempts = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private missedPings = 0;
  private readonly pending = new Map<string, { resolve(f: WsFrame): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  /** True once the current socket's aibot_subscribe was acknowledged with errcode 0. */
  subscribed = false;
  private readyWaiters: Array<() => void> = [];
  private down: AibotHealth['down'];
  private takeovers = 0;

  constructor(private readonly o: AibotConnectionOptions) {}

  private now(): number {
    return (this.o.clock ?? Date.now)();
  }

  health(): AibotHealth {
    return { subscribed: this.subscribed, takeovers: this.takeovers, ...(this.down ? { down: { ...this.down } } : {}) };
  }

  /** Connect (and keep reconnecting until stop()). Resolves at once; see `ready()`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Resolves once subscribed (or after `ms`, false). */
  ready(ms = 10_000): Promise<boolean> {
    if (this.subscribed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = undefined;
    this.subscribed = false;
    this.failPending(new Error('wecom aibot: connection stopped'));
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    }
  }

  /** Send a command frame and wait for its ack; errcode≠0 or no ack → UpstreamError. */
  request(cmd: string, body: unknown, reqId = newReqId(cmd)): Promise<WsFrame> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || (!this.subscribed && cmd !== 'aibot_subscribe')) {
      return Promise.reject(new UpstreamError('wecom', 503, `aibot ${cmd}: not connected`));
    }
    return new Promise<WsFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new UpstreamError('wecom', 504, `aibot ${cmd}: no ack`));
      }, this.o.requestTimeoutMs ?? 10_000);
      this.pending.set(reqId, {
        timer,
        resolve: (f) => (f.errcode && f.errcode !== 0 ? reject(new UpstreamError('wecom', 200, `aibot ${cmd}: errcode ${f.errcode}: ${f.errmsg ?? ''}`)) : resolve(f)),
        reject,
      });
      ws.send(JSON.stringify(body === undefined ? { cmd, headers: { req_id: reqId } } : { cmd, headers: { req_id: reqId }, body }));
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.o.url);
    this.ws = ws;
    this.subscribed = false;
    ws.on('open', () => {
      this.o.log.info({ botId: this.o.botId }, 'wecom aibot: connected, subscribing');
      this.request('aibot_subscribe', { bot_id: this.o.botId, secret: this.o.secret }).then(
        () => {
          this.subscribed = true;
          this.down = undefined;
          this.attempts = 0;
          this.missedPings = 0;
          this.o.log.info('wecom aibot: subscribed');
          for (const w of this.readyWaiters.splice(0)) w();
          this.startPing(ws);
        },
        (err: Error) => {
          this.o.log.error({ err: err.message }, 'wecom aibot: subscribe failed');
          ws.close();
        },
      );
    });
    ws.on('message', (data) => this.onData(data.toString()));
    ws.on('error', (err) => this.o.log.warn({ err: err.message }, 'wecom aibot: socket error'));
    ws.on('close', (code) => {
      if (this.ws !== ws) return;
      clearInterval(this.pingTimer);
      this.subscribed = false;
      this.failPending(new UpstreamError('wecom', 503, 'aibot: connection closed'));
      if (this.stopped) return;
      if (this.down) {
        // Taken over: no backoff ladder, one quiet retry after the long pause.
        this.attempts = 0;
        this.reconnectTimer = setTimeout(() => this.connect(), Math.max(0, this.down.retryAt - this.now()));
        return;
      }
      const base = Math.min(this.o.backoffMaxMs ?? 60_000, (this.o.backoffInitialMs ?? 1000) * 2 ** this.attempts);
      const delay = Math.round(base / 2 + Math.random() * (base / 2)); // jitter: 50–100 % of the step
      this.attempts++;
      this.o.log.warn({ code, delay, attempt: this.attempts }, 'wecom aibot: disconnected, reconnecting');
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private startPing(ws: WebSocket): void {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.missedPings >= 2) {
        this.o.log.warn('wecom aibot: pings unanswered, dropping the connection');
        ws.terminate();
        return;
      }
      this.missedPings++;
      this.request('ping', undefined).then(
        () => (this.missedPings = 0),
        () => {},
      );
    }, this.o.pingIntervalMs ?? 30_000);
  }

  private onData(text: string): void {
    let frame: WsFrame;
    try {
      frame = JSON.parse(text) as WsFrame;
    } catch {
      this.o.log.warn('wecom aibot: non-JSON frame ignored');
      return;
    }
    const reqId = frame.headers?.req_id;
    if (isDisconnectedEvent(frame)) return this.takenOver();
    if (frame.cmd === 'aibot_msg_callback' || frame.cmd === 'aibot_event_callback') {
      this.o.onCallback(frame);
      return;
    }
    const p = reqId ? this.pending.get(reqId) : undefined;
    if (p) {
      clearTimeout(p.timer);
      this.pending.delete(reqId as string);
      p.resolve(frame);
      return;
    }
    this.o.log.debug({ cmd: frame.cmd }, 'wecom aibot: unexpected frame');
  }

  /** The server says another connection now holds this bot: step aside for the pause. */
  private takenOver(): void {
    const pause = this.o.takeoverPauseMs ?? TAKEOVER_PAUSE_MS;
    const since = this.now();
    this.takeovers++;
    this.down = { reason: 'taken-over', since, retryAt: since + pause };
    this.o.log.error(
      { botId: this.o.botId, retryInMs: pause },
      'wecom aibot: disconnected_event: another process subscribed this bot and took the connection over; not reconnecting until the pause ends (run one long connection per bot)',
    );
    clearInterval(this.pingTimer);
    this.subscribed = false;
    this.ws?.close();
  }

  private failPending(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }
}
