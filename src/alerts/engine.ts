/**
 * The alert engine, for every alert source (issue 7 §3, §5, §6; issue 17 "share the machinery"): one
 * card per alert per chat, updated in place; per-chat budget (new cards first, then refreshes at most
 * every `refreshSeconds`), overflow folded into a digest card; escalation of unacknowledged paging alerts
 * through durable Timers (issue 9 §3: a timer per level fires on exactly one replica, escalation.ts).
 * A source supplies an `AlertSourceSpec` (its names, cards and rollback lookup) and folds its own
 * payloads into the state (`ingest`); acks and resolves go through `change`.
 * Time comes from the injected clock; `tick()` (a timer in production, the test in tests) flushes the
 * folded refreshes and digests of this process's lanes.
 */
import type { Card } from '../../cards/model.ts';
import { cardReply } from '../core/message.ts';
import type { Collection } from '../store/types.ts';
import { asEscalationPayload, EscalationScheduler, escalationKey, escalationNames, isDue, startCycle, type EscalationNames, type EscalationPayload } from './escalation.ts';
import { newLane, pruneLane, type Lane } from './lanes.ts';
import { basePolicy, type AlertPolicy, type PolicySubject } from './policy.ts';
import type { AlertEngineDeps, AlertSourceSpec, RollbackTarget } from './types.ts';
import type { AlertCore } from './state.ts';

export type { AlertEngineDeps, AlertSourceSpec, RollbackTarget } from './types.ts';

/** Alert states untouched this long are forgotten (a new event starts a fresh card). */
export const STATE_RETENTION_MS = 14 * 24 * 3_600_000;
/** An escalation over the chat budget is tried again this much later. */
const OVER_BUDGET_RETRY_MS = 5_000;

export class AlertEngine<S extends AlertCore> {
  readonly states: Collection<S>;
  readonly names: EscalationNames;
  private readonly esc: EscalationScheduler<S>;
  private readonly lanes = new Map<string, Lane>();
  private readonly policy: AlertPolicy;

  constructor(
    private readonly spec: AlertSourceSpec<S>,
    private readonly deps: AlertEngineDeps,
  ) {
    this.states = deps.store.collection<S>(spec.collection, { tier: 'hot' });
    this.names = escalationNames(spec.source);
    this.policy = deps.policy ?? basePolicy;
    this.esc = new EscalationScheduler<S>(deps.timers, this.states, this.names);
    deps.timers.on(this.names.kind, async (payload) => {
      const p = asEscalationPayload(payload);
      if (p) await this.escalate(p);
      else deps.log.warn({ payload, source: spec.source }, 'alerts: malformed escalation timer ignored');
    });
  }

  /**
   * An alert arrived: `fold` turns the current state (under its lock) into the next; `replayed` means
   * this delivery was folded in before (nothing to do); `changed: false` means the source saw nothing
   * new (no refresh). `quiet`: update cards, never post a new one (an echo of our own action).
   */
  async ingest(
    key: string,
    fold: (cur: S | undefined) => { state: S | undefined; replayed: boolean; changed?: boolean },
    opts: { quiet?: boolean } = {},
  ): Promise<S | undefined> {
    let replayed = false;
    let changed = true;
    let before: S | undefined;
    const s = await this.states.update(key, (cur) => {
      before = cur;
      const r = fold(cur);
      replayed = r.replayed;
      changed = r.changed ?? true;
      return r.state;
    });
    if (!s) return s;
    await this.esc.sync(before, s);
    if (replayed || !changed) return s;
    // Muted: stored and counted (the state above), listed by /alerts, but no new card and no page.
    const suppressed = await this.policy.suppression(this.subject(s));
    for (const chat of s.chats) {
      const lane = this.lane(chat);
      const known = s.posted[chat] !== undefined || lane.lastSent.has(key) || lane.digestOf.has(key) || lane.pendingNew.has(key);
      if (!known) {
        if (!opts.quiet && !suppressed) lane.pendingNew.add(key);
      } else this.markDirty(lane, key, false);
      await this.pump(chat);
    }
    return s;
  }

  /**
   * Apply a state change (from the source, or a button) and refresh the card everywhere it was
   * posted, without @mentions. Returns undefined when opsbot has no card for this key.
   */
  async change(key: string, fn: (s: S) => void): Promise<S | undefined> {
    const now = this.deps.clock();
    let visible = false;
    let before: S | undefined;
    const s = await this.states.update(key, (cur) => {
      before = cur;
      if (!cur) return undefined;
      const next: S = { ...cur, history: [...cur.history], posted: { ...cur.posted } };
      fn(next);
      if (next.status !== 'open') delete next.escalateAt;
      else if (next.escalateAt === undefined && next.paging && next.escalateAfterMinutes) startCycle(next, now, next.escalateAfterMinutes);
      next.history = next.history.slice(-5);
      // An echo of our own action usually changes nothing on the card: then spend no message on it.
      visible = JSON.stringify(this.spec.view(next)) !== JSON.stringify(this.spec.view(cur));
      next.updatedAt = now;
      return next;
    });
    if (s) await this.esc.sync(before, s);
    if (!s || !visible) return s;
    for (const chat of Object.keys(s.posted)) {
      this.markDirty(this.lane(chat), key, true);
      await this.pump(chat);
    }
    return s;
  }

  /** Flush folded refreshes and digests (this process's lanes); escalation runs on Timers. */
  async tick(): Promise<void> {
    await this.esc.resumeOnce();
    for (const chat of [...this.lanes.keys()]) await this.pump(chat);
    await this.housekeep();
  }

  private decorate(card: Card, key: string): Card {
    return this.deps.decorateCard ? this.deps.decorateCard(card, key) : card;
  }

  private subject(s: S): PolicySubject {
    return { source: this.spec.source, alert: s };
  }

  private rollbackFor(s: S): Promise<RollbackTarget | undefined> {
    return this.spec.rollbackFor ? this.spec.rollbackFor(s) : Promise.resolve(undefined);
  }

  private lastHousekeep = 0;
  /** Keep memory and the hot collection bounded: idle lane entries after 1 h, alert states after 14 days. */
  private async housekeep(): Promise<void> {
    const now = this.deps.clock();
    if (now - this.lastHousekeep < 3_600_000) return;
    this.lastHousekeep = now;
    for (const lane of this.lanes.values()) pruneLane(lane, now, 3_600_000);
    const old = await this.states.list({ filter: (s) => now - s.updatedAt > STATE_RETENTION_MS });
    for (const s of old) await this.states.delete(s.key);
  }

  private lane(chat: string): Lane {
    let l = this.lanes.get(chat);
    if (!l) this.lanes.set(chat, (l = newLane()));
    return l;
  }

  private markDirty(lane: Lane, key: string, urgent: boolean): void {
    const target = lane.digestOf.get(key) ?? key;
    lane.dirty.add(target);
    if (urgent) lane.urgent.add(target);
  }

  /** Free budget slots now (and reserve none). */
  private room(lane: Lane): number {
    const cutoff = this.deps.clock() - 60_000;
    while (lane.sentAt.length > 0 && lane.sentAt[0]! <= cutoff) lane.sentAt.shift();
    return this.spec.budgetPerChatPerMinute - lane.sentAt.length;
  }

  /** Reserve a slot synchronously (before any await) so concurrent pumps cannot overspend. */
  private reserve(lane: Lane, cardKey: string): void {
    const now = this.deps.clock();
    lane.sentAt.push(now);
    lane.lastSent.set(cardKey, now);
  }

  private async pump(chat: string): Promise<void> {
    const lane = this.lane(chat);
    const now = this.deps.clock();
    // 1. New cards first; when more are waiting than the budget has room for, the rest go into one digest.
    while (lane.pendingNew.size > 0 && this.room(lane) > 0) {
      if (lane.pendingNew.size > 1 && this.room(lane) === 1) {
        await this.postDigest(chat, lane, [...lane.pendingNew]);
        lane.pendingNew.clear();
        break;
      }
      const key = lane.pendingNew.values().next().value as string;
      lane.pendingNew.delete(key);
      this.reserve(lane, key);
      await this.postNew(chat, key);
    }
    // 2. Refreshes of posted cards and digests, at most every refreshSeconds unless someone acted.
    const minGap = this.spec.refreshSeconds * 1000;
    for (const target of [...lane.dirty]) {
      if (this.room(lane) <= 0) break;
      if (!lane.urgent.has(target) && now - (lane.lastSent.get(target) ?? 0) < minGap) continue;
      lane.dirty.delete(target);
      lane.urgent.delete(target);
      this.reserve(lane, target);
      const members = lane.digestMembers.get(target);
      if (members) await this.sendDigest(chat, target, members);
      else await this.sendCard(chat, target, []);
    }
  }

  private async postNew(chat: string, key: string): Promise<void> {
    const s = await this.states.get(key);
    if (!s) return;
    const mentions = s.paging ? this.deps.people.mentionsFor(chat, await this.policy.firstPage(this.subject(s))) : [];
    await this.sendCard(chat, key, mentions, s);
    await this.states.update(key, (cur) => (cur ? { ...cur, posted: { ...cur.posted, [chat]: cur.posted[chat] ?? this.deps.clock() } } : cur));
  }

  private async sendCard(chat: string, key: string, mentions: string[], state?: S): Promise<void> {
    const s = state ?? (await this.states.get(key));
    if (!s) return;
    const card = this.decorate(this.spec.card(s, await this.rollbackFor(s)), key);
    await this.deps.outbox.send({ to: chat, reply: cardReply(card), cardKey: this.spec.cardKeyOf(key), ...(mentions.length > 0 ? { mentions } : {}) });
  }

  private async postDigest(chat: string, lane: Lane, keys: string[]): Promise<void> {
    const digestKey = `${this.spec.source}:digest:${this.deps.clock()}`;
    this.reserve(lane, digestKey);
    lane.digestMembers.set(digestKey, keys);
    for (const k of keys) lane.digestOf.set(k, digestKey);
    await this.sendDigest(chat, digestKey, keys);
    const at = this.deps.clock();
    for (const k of keys) await this.states.update(k, (cur) => (cur ? { ...cur, posted: { ...cur.posted, [chat]: cur.posted[chat] ?? at } } : cur));
  }

  private async sendDigest(chat: string, digestKey: string, keys: string[]): Promise<void> {
    const states: S[] = [];
    for (const k of keys) {
      const s = await this.states.get(k);
      if (s) states.push(s);
    }
    await this.deps.outbox.send({ to: chat, reply: cardReply(this.spec.digest(states)), cardKey: digestKey });
  }

  /**
   * The escalation timer fired (on exactly one replica). Re-checks the alert (acked, resolved, re-opened
   * or already escalated: nothing to do), claims the level with a compare-and-set under the state's row
   * lock (so even two firings cannot both send), then sends the escalation card. The state change
   * schedules the next level (EscalationScheduler.sync). Outbox.send does not throw (it logs), so no rollback.
   */
  private async escalate(p: EscalationPayload): Promise<void> {
    const { clock } = this.deps;
    const escalation = this.spec.escalation;
    const s = await this.states.get(p.alertKey);
    if (!isDue(s, p)) return;
    const n = p.level;
    const targets = escalation?.to ? [escalation.to] : s.chats;
    if (targets.some((c) => this.room(this.lane(c)) <= 0)) {
      // Over budget: a new one-shot timer a little later (deterministic key: a retried handler re-uses it).
      const d: EscalationPayload = { ...p, deferrals: (p.deferrals ?? 0) + 1 };
      await this.deps.timers.schedule({ kind: this.names.kind, key: escalationKey(this.names, d), at: clock() + OVER_BUDGET_RETRY_MS, payload: d });
      return;
    }
    const quiet = await this.policy.suppression(this.subject(s));
    if (quiet) {
      // Muted: page nobody now; this step is tried again when the mute ends (a new one-shot key).
      const d: EscalationPayload = { ...p, deferrals: (p.deferrals ?? 0) + 1 };
      await this.deps.timers.schedule({ kind: this.names.kind, key: escalationKey(this.names, d), at: Math.max(quiet.until, clock() + OVER_BUDGET_RETRY_MS), payload: d });
      return;
    }
    const minutes = s.escalateAfterMinutes ?? 0;
    const chainOf = { ...s, escalationChain: s.escalationChain ?? escalation?.chain };
    const page = await this.policy.escalation(this.subject(chainOf), n);
    const people = page.people;
    const addedNames = page.people.filter((id) => !s.owners.includes(id)).map((id) => this.deps.people.nameOf(id));
    const cardKey = `${this.spec.source}:escalation:${s.key}:${n}`;
    // Reserve before the state change: its card refresh must not take the escalation's slot.
    for (const chat of targets) this.reserve(this.lane(chat), cardKey);
    let won = false;
    await this.change(s.key, (x) => {
      if (!isDue(x, p)) return;
      won = true;
      x.escalations = n;
      x.escalateAt = clock() + minutes * 60_000;
      if (addedNames.length) x.escalatedTo = addedNames;
      else delete x.escalatedTo;
    });
    if (!won) return;
    this.deps.onEscalation?.(this.spec.source);
    const card = this.decorate(this.spec.escalationCard({ ...s, escalations: n, ...(addedNames.length ? { escalatedTo: addedNames } : {}) }, minutes, await this.rollbackFor(s)), s.key);
    for (const chat of targets) {
      const mentions = this.deps.people.mentionsFor(chat, people);
      await this.deps.outbox.send({ to: chat, reply: cardReply(card), cardKey, ...(mentions.length ? { mentions } : {}) });
    }
    // Where the schedule says so, the person on duty is paged directly too (their phone buzzes even if
    // the group is muted on it). The direct chat has no budget lane: one message per step and person.
    for (const id of page.direct) {
      for (const chat of this.deps.people.directChatsOf(id)) {
        await this.deps.outbox.send({ to: chat, reply: cardReply(card), cardKey: `${cardKey}:direct:${id}` });
      }
    }
  }
}
