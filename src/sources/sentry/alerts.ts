/**
 * The alert engine: one card per issue (or metric rule) per chat, updated in place with exact counts;
 * per-chat budget (new cards first, then refreshes at most every `refreshSeconds`), overflow folded into
 * a digest card; escalation of unacknowledged paging alerts through durable Timers (issue 7 §3, §5, §6;
 * issue 9 §3: a `Timers` timer per level fires on exactly one replica, escalation.ts).
 * Time comes from the injected clock; `tick()` (a timer in production, the test in tests) flushes the
 * folded refreshes and digests of this process's lanes.
 */
import type { Logger } from 'pino';
import { sentryAlertCard, sentryDigestCard, sentryEscalationCard } from '../../../cards/sentry-alert.ts';
import type { Config } from '../../config/schema.ts';
import { t as translate, type Locale } from '../../core/i18n.ts';
import { cardReply } from '../../core/message.ts';
import type { People } from '../../core/people.ts';
import type { Outbox } from '../../core/services.ts';
import type { Timers } from '../../core/timers.ts';
import type { Collection, Store } from '../../store/types.ts';
import type { SentryConfig } from './config.ts';
import { asEscalationPayload, EscalationScheduler, escalationKey, ESCALATION_TIMER, isDue, startCycle, type EscalationPayload } from './escalation.ts';
import { isOwnActor, type SentryEventPayload } from './map.ts';
import { newLane, pruneLane, type Lane } from './lanes.ts';
import { rollbackForAlert, routeAlert } from './routing.ts';
import { alertFacts, foldAlert } from './alert-fold.ts';
import { alertCollection, cardKeyOf, toView, type AlertState } from './state.ts';

export interface AlertsDeps {
  config: Config;
  sentry: SentryConfig;
  store: Store;
  outbox: Outbox;
  log: Logger;
  locale: Locale;
  clock: () => number;
  /** Who to @mention, per platform. */
  people: People;
  /** Escalation timers (the store's coordination timers): exactly once across replicas on PostgreSQL. */
  timers: Timers;
  /**
   * What opsbot last deployed to a product's environment (the deploy feature's releases.current), read at
   * render time. When given, Rollback is offered only for an environment opsbot deployed, and only if
   * the alert's release (if any) is what runs there (issue 7 §3).
   */
  currentDeploy?: (product: string, env: string) => Promise<{ release: string } | undefined>;
}


/** Alert states untouched this long are forgotten (a new event starts a fresh card). */
export const STATE_RETENTION_MS = 14 * 24 * 3_600_000;
/** An escalation over the chat budget is tried again this much later (was: the next tick). */
const OVER_BUDGET_RETRY_MS = 5_000;

export class SentryAlerts {
  readonly states: Collection<AlertState>;
  private readonly esc: EscalationScheduler;
  private readonly lanes = new Map<string, Lane>();
  private readonly warned = new Set<string>();
  private readonly tr: (key: string, vars?: Record<string, string | number>) => string;

  constructor(private readonly deps: AlertsDeps) {
    this.states = alertCollection(deps.store);
    this.tr = (key, vars) => translate(deps.locale, key, vars);
    this.esc = new EscalationScheduler(deps.timers, this.states);
    deps.timers.on(ESCALATION_TIMER, async (payload) => {
      const p = asEscalationPayload(payload);
      if (p) await this.escalate(p);
      else deps.log.warn({ payload }, 'sentry: malformed escalation timer ignored');
    });
  }

  /** An alert fired: event_alert, legacy plugin, issue.created, metric critical/warning. */
  async onAlert(p: SentryEventPayload, deliveryId?: string): Promise<void> {
    const { config, sentry, clock, log } = this.deps;
    const echo = isOwnActor(p.actor, sentry);
    const now = clock();
    const facts = alertFacts(p, sentry);
    if (!facts) return;
    const { key, projects, level, environment, fields } = facts;
    const route = routeAlert(config, sentry, { projects, level, environment });
    const slug = projects.filter(Boolean).join(',') || '?';
    if (route.unmapped && !this.warned.has(slug)) {
      this.warned.add(slug);
      log.warn({ project: slug, defaultChat: sentry.defaultChat ?? null }, 'sentry project not mapped to a product (products.*.sentryProjects)');
    }
    let replayed = false;
    let before: AlertState | undefined;
    const s = await this.states.update(key, (cur) => {
      before = cur;
      const r = foldAlert(cur, { key, fields, route, createdOnly: p.resource === 'issue', echo, reopens: p.action !== 'created', now, ...(deliveryId ? { deliveryId } : {}) });
      replayed = r.replayed;
      return r.state;
    });
    if (!s) return;
    await this.esc.sync(before, s);
    if (replayed) return;
    for (const chat of s.chats) {
      const lane = this.lane(chat);
      const known = s.posted[chat] !== undefined || lane.lastSent.has(key) || lane.digestOf.has(key) || lane.pendingNew.has(key);
      if (!known) {
        if (!echo) lane.pendingNew.add(key);
      } else this.markDirty(lane, key, false);
      await this.pump(chat);
    }
  }

  /**
   * Apply a state change (a webhook from Sentry, or a button) and refresh the card everywhere it was
   * posted, without @mentions. Returns undefined when opsbot has no card for this key.
   */
  async change(key: string, fn: (s: AlertState) => void): Promise<AlertState | undefined> {
    const now = this.deps.clock();
    let visible = false;
    let before: AlertState | undefined;
    const s = await this.states.update(key, (cur) => {
      before = cur;
      if (!cur) return undefined;
      const next: AlertState = { ...cur, history: [...cur.history], posted: { ...cur.posted } };
      fn(next);
      if (next.status !== 'open') delete next.escalateAt;
      else if (next.escalateAt === undefined && next.paging && next.escalateAfterMinutes) startCycle(next, now, next.escalateAfterMinutes);
      next.history = next.history.slice(-5);
      // An echo of our own action usually changes nothing on the card: then spend no message on it.
      visible = JSON.stringify(toView(next)) !== JSON.stringify(toView(cur));
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

  private rollbackFor(s: AlertState): Promise<{ product: string; env: string } | undefined> {
    return rollbackForAlert(this.deps.config, this.deps.sentry.releaseFormat, this.deps.currentDeploy, s);
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
    return this.deps.sentry.budgetPerChatPerMinute - lane.sentAt.length;
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
    const minGap = this.deps.sentry.refreshSeconds * 1000;
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
    await this.sendCard(chat, key, s.paging ? this.deps.people.mentionsFor(chat, s.owners) : [], s);
    await this.states.update(key, (cur) => (cur ? { ...cur, posted: { ...cur.posted, [chat]: cur.posted[chat] ?? this.deps.clock() } } : cur));
  }

  private async sendCard(chat: string, key: string, mentions: string[], state?: AlertState): Promise<void> {
    const s = state ?? (await this.states.get(key));
    if (!s) return;
    const card = sentryAlertCard(toView(s, await this.rollbackFor(s)), this.tr);
    await this.deps.outbox.send({ to: chat, reply: cardReply(card), cardKey: cardKeyOf(key), ...(mentions.length > 0 ? { mentions } : {}) });
  }

  private async postDigest(chat: string, lane: Lane, keys: string[]): Promise<void> {
    const digestKey = `sentry:digest:${this.deps.clock()}`;
    this.reserve(lane, digestKey);
    lane.digestMembers.set(digestKey, keys);
    for (const k of keys) lane.digestOf.set(k, digestKey);
    await this.sendDigest(chat, digestKey, keys);
    const at = this.deps.clock();
    for (const k of keys) await this.states.update(k, (cur) => (cur ? { ...cur, posted: { ...cur.posted, [chat]: cur.posted[chat] ?? at } } : cur));
  }

  private async sendDigest(chat: string, digestKey: string, keys: string[]): Promise<void> {
    const items: { key: string; title: string; project?: string; count: number }[] = [];
    for (const k of keys) {
      const s = await this.states.get(k);
      if (s) items.push({ key: k, title: s.title, ...(s.project ? { project: s.project } : {}), count: s.count });
    }
    await this.deps.outbox.send({ to: chat, reply: cardReply(sentryDigestCard(items, this.tr)), cardKey: digestKey });
  }

  /**
   * The escalation timer fired (on exactly one replica). Re-checks the alert (acked, resolved, re-opened
   * or already escalated: nothing to do), claims the level with a compare-and-set under the state's row
   * lock (so even two firings cannot both send), then sends the escalation card. The state change
   * schedules the next level (EscalationScheduler.sync). Outbox.send does not throw (it logs), so no rollback.
   */
  private async escalate(p: EscalationPayload): Promise<void> {
    const { sentry, clock } = this.deps;
    const s = await this.states.get(p.alertKey);
    if (!isDue(s, p)) return;
    const n = p.level;
    const targets = sentry.escalation?.to ? [sentry.escalation.to] : s.chats;
    if (targets.some((c) => this.room(this.lane(c)) <= 0)) {
      // Over budget: a new one-shot timer a little later (deterministic key: a retried handler re-uses it).
      const d: EscalationPayload = { ...p, deferrals: (p.deferrals ?? 0) + 1 };
      await this.deps.timers.schedule({ kind: ESCALATION_TIMER, key: escalationKey(d), at: clock() + OVER_BUDGET_RETRY_MS, payload: d });
      return;
    }
    const minutes = s.escalateAfterMinutes ?? 0;
    const people = [...s.owners, ...(s.escalationChain ?? sentry.escalation?.chain ?? []).slice(0, n)];
    const cardKey = `sentry:escalation:${s.key}:${n}`;
    // Reserve before the state change: its card refresh must not take the escalation's slot.
    for (const chat of targets) this.reserve(this.lane(chat), cardKey);
    let won = false;
    await this.change(s.key, (x) => {
      if (!isDue(x, p)) return;
      won = true;
      x.escalations = n;
      x.escalateAt = clock() + minutes * 60_000;
    });
    if (!won) return;
    const view = toView({ ...s, escalations: n }, await this.rollbackFor(s));
    for (const chat of targets) {
      const mentions = this.deps.people.mentionsFor(chat, people);
      await this.deps.outbox.send({ to: chat, reply: cardReply(sentryEscalationCard(view, minutes, this.tr)), cardKey, ...(mentions.length ? { mentions } : {}) });
    }
  }
}
