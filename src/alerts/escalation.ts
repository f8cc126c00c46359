/**
 * Escalation timers of unacknowledged paging alerts, for every alert source (issue 7 §6 on issue 9 §3's
 * Timers seam; docs/scale-out.md §0 flow 3). One timer per (alert, cycle, level): the key
 * `<source>:escalate:<alert>:<epoch>:L<n>` is one-shot (task_queue.dedupe_key is unique forever), and the
 * epoch changes whenever a new escalation cycle starts (first page, re-open, unack), so a cancelled or
 * fired level never blocks a later cycle. The engine (engine.ts) sends the cards; this file keeps the
 * timers in step.
 */
import type { Timers, TimerSpec } from '../core/timers.ts';
import type { Collection } from '../store/types.ts';
import type { AlertCore as AlertState } from './state.ts';

/** A source's escalation timers: the Timers kind (`sentry.escalate`) and the key's source prefix (`sentry`). */
export interface EscalationNames {
  kind: string;
  prefix: string;
}

/** The names a source gets: `<source>.escalate`, keys `<source>:escalate:…`. */
export const escalationNames = (source: string): EscalationNames => ({ kind: `${source}.escalate`, prefix: source });

export interface EscalationPayload {
  alertKey: string;
  epoch: number;
  /** The escalation this timer sends (1-based). */
  level: number;
  /** Over-budget deferrals so far (each one is a new one-shot key). */
  deferrals?: number;
}

export function escalationKey(names: EscalationNames, p: EscalationPayload): string {
  return `${names.prefix}:escalate:${p.alertKey}:${p.epoch}:L${p.level}${p.deferrals ? `:d${p.deferrals}` : ''}`;
}

/** The timer this state wants pending, if any (open, paging, with a due time and a cycle). */
export function wantedTimer(names: EscalationNames, s: AlertState | undefined): TimerSpec | undefined {
  if (!s || s.status !== 'open' || !s.paging || s.escalateAt === undefined || s.escalationEpoch === undefined) return undefined;
  const payload: EscalationPayload = { alertKey: s.key, epoch: s.escalationEpoch, level: s.escalations + 1 };
  return { kind: names.kind, key: escalationKey(names, payload), at: s.escalateAt, payload };
}

/** The re-check of the handler: is this timer's escalation still the next thing this alert needs? */
export function isDue<S extends AlertState>(s: S | undefined, p: EscalationPayload): s is S {
  return !!s && s.status === 'open' && s.paging && s.escalateAt !== undefined && s.escalationEpoch === p.epoch && s.escalations + 1 === p.level;
}

/** Start a new escalation cycle on `next` (its epoch is strictly newer than any earlier one). */
export function startCycle(next: AlertState, now: number, minutes: number): void {
  next.escalateAt = now + minutes * 60_000;
  next.escalationEpoch = Math.max(now, (next.escalationEpoch ?? 0) + 1);
}

/** Parses a timer payload (it went through JSON and maybe a database). */
export function asEscalationPayload(v: unknown): EscalationPayload | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.alertKey !== 'string' || typeof o.epoch !== 'number' || typeof o.level !== 'number') return undefined;
  return { alertKey: o.alertKey, epoch: o.epoch, level: o.level, ...(typeof o.deferrals === 'number' ? { deferrals: o.deferrals } : {}) };
}

/** Keeps each alert's pending escalation timer in step with its state. */
export class EscalationScheduler<S extends AlertState = AlertState> {
  private readonly scheduled = new Set<string>();
  private resumed = false;

  constructor(
    private readonly timers: Timers,
    private readonly states: Collection<S>,
    private readonly names: EscalationNames,
  ) {}

  /**
   * After a state change: cancel the pending level when the alert left it (ack, resolve, ignore,
   * re-open), schedule the one the state wants (idempotent on the key; once per key per process, so a
   * storm does not re-insert it on every event).
   */
  async sync(before: S | undefined, after: S): Promise<void> {
    const prev = wantedTimer(this.names, before);
    const next = wantedTimer(this.names, after);
    if (prev && prev.key !== next?.key) {
      await this.timers.cancel(prev.key);
      this.scheduled.delete(prev.key);
    }
    if (next && !this.scheduled.has(next.key)) {
      await this.timers.schedule(next);
      if (this.scheduled.size > 10_000) this.scheduled.clear();
      this.scheduled.add(next.key);
    }
  }

  /**
   * Once per process: re-assert the timers of open paging alerts (states written before timers
   * existed, or a crash between saving a state and scheduling its timer). A state without a cycle gets
   * its `escalateAt` as epoch, the same on every replica.
   */
  async resumeOnce(): Promise<void> {
    if (this.resumed) return;
    this.resumed = true;
    const open = await this.states.list({ filter: (s) => s.status === 'open' && s.paging && s.escalateAt !== undefined });
    for (const s of open) {
      const cur =
        s.escalationEpoch !== undefined
          ? s
          : await this.states.update(s.key, (c) => (c && c.escalateAt !== undefined && c.escalationEpoch === undefined ? { ...c, escalationEpoch: c.escalateAt } : c));
      if (cur) await this.sync(undefined, cur);
    }
  }
}
