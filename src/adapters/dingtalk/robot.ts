/**
 * DingTalk custom group robots (自定义机器人, chat-platforms.md §4.2): send only, addressed as
 * `dingtalk-robot:<name>`, configured under `chat.dingtalk.robots.<name>`.
 * - `POST <oapiBase>/robot/send?access_token=…[&timestamp=…&sign=…]`, JSON; success `{errcode:0}`.
 * - 加签: `sign = urlEncode(base64(HmacSHA256(key = secret, timestamp + "\n" + secret)))`, timestamp in
 *   ms within 1 h of DingTalk's clock (§4.2; vector in fixtures/dingtalk/dingtalk-signatures.json).
 * - 20 messages per minute per robot, beyond that DingTalk throttles the robot for 10 minutes
 *   ("每个机器人每分钟最多发送20条消息到群里,如果超过20条,会限流10分钟", §4.2): each robot has its own
 *   sliding window here and a send waits for a free slot rather than exceed it; after a "too fast"
 *   answer the robot is held for 10 minutes and sends fail fast as transient.
 * The access token and the secret are never logged or put in errors: logs name the robot.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { UpstreamError } from '../../core/errors.ts';
import type { DingtalkRobotConfig } from './config.ts';
import { postJson } from './post-json.ts';

/** §4.2: 20 messages a minute per robot. */
export const ROBOT_PER_MINUTE = 20;
/** §4.2: beyond the cap the robot is throttled for 10 minutes. */
export const ROBOT_THROTTLE_MS = 10 * 60_000;

/** `base64(HmacSHA256(secret, timestamp + "\n" + secret))`, before URL encoding (§4.2). */
export function robotSign(secret: string, timestamp: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

/**
 * A failed robot send. `transient`: the same message may succeed later (a durable outbox retries it);
 * otherwise it never will until the config changes (dead-letter it). Maps onto core's SendError as
 * `{ transient, retryAfterMs }`.
 */
export class RobotSendError extends UpstreamError {
  constructor(
    readonly robot: string,
    readonly transient: boolean,
    status: number,
    message: string,
    readonly errcode?: number,
    readonly retryAfterMs?: number,
  ) {
    super('dingtalk', status, `robot ${robot}: ${message}`, retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined);
    this.name = 'RobotSendError';
  }
}

/**
 * errcode → permanent or transient. The codes are the ones the custom-robot docs and their copies
 * list [3p, not in an official table we could fetch]: 310000 keyword / sign / IP allow-list mismatch
 * (config), 300001 and 300005 access_token invalid / not found (robot removed or token reset),
 * 130101 sent too fast (§4.2's throttle), -1 system busy. Unknown codes are permanent: retrying a
 * payload DingTalk rejected only spends the 20 a minute.
 */
export function classifyRobotErrcode(errcode: number): { transient: boolean; throttled: boolean; reason: string } {
  switch (errcode) {
    case 130101:
      return { transient: true, throttled: true, reason: 'sending too fast (throttled for 10 minutes)' };
    case -1:
      return { transient: true, throttled: false, reason: 'DingTalk busy' };
    case 310000:
      return { transient: false, throttled: false, reason: 'security check failed (keyword missing, sign mismatch or IP not allowed): check keyword/secret' };
    case 300001:
    case 300005:
      return { transient: false, throttled: false, reason: 'access_token invalid (robot removed or token reset): check accessToken' };
    default:
      return { transient: false, throttled: false, reason: 'rejected' };
  }
}

export interface RobotStats {
  robotSends: number;
  robotErrors: number;
  /** Sends that waited for a free slot in the robot's 20-a-minute window. */
  robotHeld: number;
}

export interface DingtalkRobotsOptions {
  robots: Record<string, DingtalkRobotConfig>;
  oapiBase: string;
  log: Logger;
  clock?: () => number;
  /** Tests: a shorter window. */
  windowMs?: number;
  perMinute?: number;
  throttleMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

interface Lane {
  sentAt: number[];
  heldUntil: number;
  /** Sends to one robot go one at a time, so the window is checked and filled without races. */
  tail: Promise<void>;
}

/** All configured custom robots: signing, the per-robot window, error classification. */
export class DingtalkRobots {
  readonly stats: RobotStats = { robotSends: 0, robotErrors: 0, robotHeld: 0 };
  private readonly lanes = new Map<string, Lane>();
  private readonly clock: () => number;
  private readonly windowMs: number;
  private readonly perMinute: number;
  private readonly throttleMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: DingtalkRobotsOptions) {
    this.clock = o.clock ?? Date.now;
    this.windowMs = o.windowMs ?? 60_000;
    this.perMinute = o.perMinute ?? ROBOT_PER_MINUTE;
    this.throttleMs = o.throttleMs ?? ROBOT_THROTTLE_MS;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  has(name: string): boolean {
    return Object.hasOwn(this.o.robots, name);
  }

  /** The robot configured for this group (`robots.<name>.group`), if any. */
  forGroup(openConversationId: string): string | undefined {
    return Object.entries(this.o.robots).find(([, r]) => r.group === openConversationId)?.[0];
  }

  /** The robot's keyword (自定义关键词), which every message must contain. */
  keywordOf(name: string): string | undefined {
    return this.o.robots[name]?.keyword;
  }

  /** Sends one message body (`{msgtype, …, at?}`); throws RobotSendError. */
  send(name: string, body: Record<string, unknown>): Promise<void> {
    const robot = this.o.robots[name];
    if (!robot) return Promise.reject(new RobotSendError(name, false, 0, 'not configured under chat.dingtalk.robots'));
    let lane = this.lanes.get(name);
    if (!lane) this.lanes.set(name, (lane = { sentAt: [], heldUntil: 0, tail: Promise.resolve() }));
    const l = lane;
    const run = l.tail.then(() => this.sendInLane(name, robot, l, body));
    l.tail = run.catch(() => undefined);
    return run;
  }

  private async sendInLane(name: string, robot: DingtalkRobotConfig, lane: Lane, body: Record<string, unknown>): Promise<void> {
    let now = this.clock();
    if (now < lane.heldUntil) {
      throw new RobotSendError(name, true, 429, 'held after DingTalk throttled it (130101)', 130101, lane.heldUntil - now);
    }
    lane.sentAt = lane.sentAt.filter((t) => t > now - this.windowMs);
    if (lane.sentAt.length >= this.perMinute) {
      // Wait for the oldest send to leave the window: exceeding it costs 10 minutes of silence.
      const wait = lane.sentAt[0]! + this.windowMs - now;
      this.stats.robotHeld++;
      this.o.log.info({ robot: name, waitMs: wait }, 'dingtalk robot: 20-a-minute window full; holding the message');
      await this.sleep(wait);
      now = this.clock();
      lane.sentAt = lane.sentAt.filter((t) => t > now - this.windowMs);
    }
    lane.sentAt.push(now);
    this.stats.robotSends++;
    try {
      await this.post(name, robot, body, now);
    } catch (err) {
      this.stats.robotErrors++;
      if (err instanceof RobotSendError && err.errcode === 130101) lane.heldUntil = this.clock() + this.throttleMs;
      this.o.log.warn({ robot: name, err: (err as Error).message }, 'dingtalk robot: send failed');
      throw err;
    }
  }

  private async post(name: string, robot: DingtalkRobotConfig, body: Record<string, unknown>, now: number): Promise<void> {
    let url = `${this.o.oapiBase}/robot/send?access_token=${encodeURIComponent(robot.accessToken)}`;
    if (robot.secret) {
      const ts = String(now);
      url += `&timestamp=${ts}&sign=${encodeURIComponent(robotSign(robot.secret, ts))}`;
    }
    let status: number;
    let parsed: Record<string, unknown>;
    try {
      ({ status, body: parsed } = await postJson(url, body));
    } catch (err) {
      // Network trouble: the message may go through on a later attempt. The error text from undici
      // does not contain the URL, but we say only what happened to be safe.
      throw new RobotSendError(name, true, 0, `network error: ${(err as Error).name}`);
    }
    if (status >= 500 || status === 429) throw new RobotSendError(name, true, status, `HTTP ${status}`);
    if (status >= 400) throw new RobotSendError(name, false, status, `HTTP ${status}`);
    const errcode = typeof parsed['errcode'] === 'number' ? parsed['errcode'] : 0;
    if (errcode === 0) return;
    const c = classifyRobotErrcode(errcode);
    const errmsg = typeof parsed['errmsg'] === 'string' ? parsed['errmsg'].slice(0, 200) : '';
    throw new RobotSendError(name, c.transient, status, `errcode ${errcode} ${errmsg}: ${c.reason}`, errcode, c.throttled ? this.throttleMs : undefined);
  }
}
