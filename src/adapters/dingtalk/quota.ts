/**
 * DingTalk's monthly OpenAPI quota (chat-platforms.md §4.8, contract.md `chat.dingtalk.monthlyQuota`):
 * the organisation's metered OpenAPI calls per calendar month (base edition 10 000, then errcode
 * 90020). Every metered call (the ones client.ts counts as `openApiCalls`; sessionWebhook posts,
 * token fetches and custom robots `/robot/send` are not metered) is counted here and persisted per
 * month in the store collection `dingtalk-quota` (hot tier, key `YYYY-MM` in Asia/Shanghai).
 *
 * Writes are batched: the delta since the last flush is added with `collection.update` every
 * `flushMs` and on stop, so replicas sharing a store add up instead of overwriting each other. The
 * 80 % and 95 % warnings are sent once per month; the record says which were sent (written at once).
 */
import type { Logger } from 'pino';
import { SendError } from '../../core/errors.ts';
import type { Collection } from '../../store/types.ts';

/** One month's persisted usage. */
export interface QuotaRecord {
  month: string;
  calls: number;
  /** Thresholds (80, 95) whose warning was sent this month. */
  warned?: number[];
}

/** What /metrics and the sender see. */
export interface QuotaSnapshot {
  month: string;
  calls: number;
  /** 0 = unlimited. */
  quota: number;
  /** Calls left this month; undefined when unlimited. 0 also after DingTalk answered 90020. */
  remaining: number | undefined;
}

export const QUOTA_COLLECTION = 'dingtalk-quota';
/** Warn once a month at these shares of the quota (percent). */
export const QUOTA_WARN_AT = [80, 95] as const;
/** Below this share left, progress refreshes of the same card are throttled (send.ts). */
export const QUOTA_LOW_SHARE = 0.2;
export const QUOTA_USED_UP = 'DingTalk monthly API quota used up';

/** A metered send refused (budget spent) or answered 90020: permanent, so the outbox marks it dead. */
export class QuotaUsedUpError extends SendError {
  constructor(detail?: string) {
    super(detail ? `${QUOTA_USED_UP}: ${detail}` : QUOTA_USED_UP, false);
    this.name = 'QuotaUsedUpError';
  }
}

export interface QuotaOptions {
  /** `chat.dingtalk.monthlyQuota`; 0 = unlimited (still counted). */
  monthlyQuota: number;
  log: Logger;
  collection?: Collection<QuotaRecord>;
  clock?: () => number;
  /** Flush the counted calls at least this often (default 5 s). */
  flushMs?: number;
  /** The month boundary (default Asia/Shanghai, where DingTalk's organisations bill). */
  timeZone?: string;
  /** Each metered call, as it is counted (the `opsbot_platform_calls_total` counter). */
  onCall?: () => void;
  /** The 80 %/95 % warning text, for the admin chat (feature.ts wires it to the outbox). */
  onWarning?: (text: string) => void;
}

/** Counts metered calls per month, persists them, warns, and says when the budget is low or gone. */
export class DingtalkQuota {
  private readonly clock: () => number;
  private readonly fmt: Intl.DateTimeFormat;
  private month: string;
  /** Calls of `month` known to be in the store (plus other replicas' as of the last flush). */
  private base = 0;
  /** Counted but not yet written, per month. */
  private readonly pending = new Map<string, { calls: number; warned: Set<number> }>();
  private warned = new Set<number>();
  private loaded: Promise<void> | undefined;
  private isLoaded = false;
  /** Month in which DingTalk answered 90020 (in memory: a restart tries once more). */
  private exhaustedMonth: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly o: QuotaOptions) {
    this.clock = o.clock ?? Date.now;
    this.fmt = new Intl.DateTimeFormat('en-CA', { timeZone: o.timeZone ?? 'Asia/Shanghai', year: 'numeric', month: '2-digit' });
    this.month = this.monthKey(this.clock());
    if (!o.collection) this.isLoaded = true;
  }

  /** `YYYY-MM` of `ms` in the configured time zone. */
  monthKey(ms: number): string {
    const parts = this.fmt.formatToParts(new Date(ms));
    const y = parts.find((p) => p.type === 'year')?.value ?? '0000';
    const m = parts.find((p) => p.type === 'month')?.value ?? '00';
    return `${y}-${m}`;
  }

  /** Reads this month's record once (later calls share it); counts made before are kept. */
  ready(): Promise<void> {
    this.rollover();
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<void> {
    const month = this.month;
    try {
      const rec = await this.o.collection?.get(month);
      if (month === this.month && rec) {
        // Calls counted before the record was read are still pending: keep them on top.
        this.base = rec.calls + (this.pending.get(month)?.calls ?? 0);
        for (const t of rec.warned ?? []) this.warned.add(t);
      }
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'dingtalk: could not read the monthly API quota record; counting from this process only');
    }
    this.isLoaded = true;
    this.checkWarnings();
  }

  /** Start the periodic flush (unref'd). */
  start(): void {
    if (this.timer || !this.o.collection) return;
    this.timer = setInterval(() => void this.flush(), this.o.flushMs ?? 5_000);
    this.timer.unref?.();
  }

  /** Stop the timer and write what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** One metered OpenAPI call was made (client.ts). */
  count(n = 1): void {
    this.rollover();
    this.base += n;
    this.pendingOf(this.month).calls += n;
    this.o.onCall?.();
    this.checkWarnings();
  }

  /** DingTalk answered 90020 / ApiCountLimitForOrg: no metered sends until the month ends. */
  markExhausted(): void {
    this.rollover();
    if (this.exhaustedMonth !== this.month) this.o.log.warn({ month: this.month, calls: this.base }, 'dingtalk: DingTalk reports the monthly API quota used up (90020); metered sends stop until the month ends');
    this.exhaustedMonth = this.month;
  }

  snapshot(): QuotaSnapshot {
    this.rollover();
    const quota = this.o.monthlyQuota;
    const remaining = this.exhaustedMonth === this.month ? 0 : quota > 0 ? Math.max(0, quota - this.base) : undefined;
    return { month: this.month, calls: this.base, quota, remaining };
  }

  /** False when this month's budget is spent (configured quota reached or 90020 seen). */
  allowsMetered(): boolean {
    return this.snapshot().remaining !== 0;
  }

  /** True below 20 % left (progress refreshes are then throttled). */
  low(): boolean {
    const s = this.snapshot();
    return s.remaining !== undefined && s.remaining < s.quota * QUOTA_LOW_SHARE;
  }

  /** Write the counted calls and sent warnings (serialised; a failed write keeps them pending). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const col = this.o.collection;
    if (!col) return void this.pending.clear();
    await this.loaded; // never write a delta before the month's record was read (load adds pending on top)
    for (const [month, p] of [...this.pending]) {
      if (p.calls === 0 && p.warned.size === 0) {
        this.pending.delete(month);
        continue;
      }
      this.pending.delete(month);
      try {
        const stored = await col.update(month, (cur) => ({
          month,
          calls: (cur?.calls ?? 0) + p.calls,
          warned: [...new Set([...(cur?.warned ?? []), ...p.warned])].sort((a, b) => a - b),
        }));
        // Other replicas' calls show up here: the store is the sum.
        if (stored && month === this.month && this.isLoaded) {
          const since = this.pending.get(month)?.calls ?? 0;
          this.base = Math.max(this.base, stored.calls + since);
          for (const t of stored.warned ?? []) this.warned.add(t);
        }
      } catch (err) {
        const back = this.pendingOf(month);
        back.calls += p.calls;
        for (const t of p.warned) back.warned.add(t);
        this.o.log.warn({ err: (err as Error).message, month }, 'dingtalk: could not persist the monthly API call count; will retry');
      }
    }
  }

  private pendingOf(month: string): { calls: number; warned: Set<number> } {
    let p = this.pending.get(month);
    if (!p) {
      p = { calls: 0, warned: new Set() };
      this.pending.set(month, p);
    }
    return p;
  }

  /** A new month: start from zero (the old month's pending delta stays to be flushed under its key). */
  private rollover(): void {
    const now = this.monthKey(this.clock());
    if (now === this.month) return;
    this.month = now;
    this.base = 0;
    this.warned = new Set();
    if (this.o.collection) {
      this.isLoaded = false;
      this.loaded = this.load();
    }
  }

  private checkWarnings(): void {
    const quota = this.o.monthlyQuota;
    if (!this.isLoaded || quota <= 0) return;
    const share = (this.base / quota) * 100;
    // Only the highest threshold crossed is announced (a restart at 96 % does not send two messages).
    const crossed = QUOTA_WARN_AT.filter((t) => share >= t && !this.warned.has(t));
    if (crossed.length === 0) return;
    const top = crossed[crossed.length - 1]!;
    for (const t of crossed) {
      this.warned.add(t);
      this.pendingOf(this.month).warned.add(t);
    }
    void this.flush(); // the warning is recorded at once, so a restart does not repeat it
    const left = Math.max(0, quota - this.base);
    this.o.log.warn({ month: this.month, calls: this.base, quota, threshold: top }, 'dingtalk: monthly OpenAPI quota running low');
    const text =
      `⚠ DingTalk API quota: ${this.base} of ${quota} calls used this month (${this.month}, ≥ ${top} %), ${left} left. ` +
      'Progress-card refreshes are throttled below 20 % left; at 0 only replies through the message session and custom robots go out. ' +
      `钉钉 OpenAPI 本月额度已用 ${top}%（${this.base}/${quota}）。`;
    try {
      this.o.onWarning?.(text);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'dingtalk: could not send the quota warning to chat.adminChat');
    }
  }
}
