/**
 * One alert folded into its card's state, as pure functions (alerts.ts applies them under the state's
 * lock): what an incoming alert says, and how it changes the count, status, routing and escalation.
 */
import type { SentryConfig } from './config.ts';
import { startCycle } from '../../alerts/escalation.ts';
import type { SentryEventPayload } from './map.ts';
import type { Route } from './routing.ts';
import type { AlertState } from './state.ts';

export interface AlertFacts {
  /** Issue id, or `metric:<ruleId>`. */
  key: string;
  projects: (string | undefined)[];
  level: string | undefined;
  environment: string | undefined;
  /** What the card shows, from this alert. */
  fields: Partial<AlertState>;
}

/** What an alert event says (undefined: neither an issue nor a metric alert). */
export function alertFacts(p: SentryEventPayload, sentry: Pick<SentryConfig, 'url' | 'org'>): AlertFacts | undefined {
  if (p.metric) {
    const level = p.action === 'warning' ? 'warning' : 'error';
    const projects = p.metric.projects;
    return {
      key: `metric:${p.metric.ruleId}`,
      projects,
      level,
      environment: p.metric.environment,
      fields: { kind: 'metric', title: p.metric.title, level, project: projects.join(', '), environment: p.metric.environment, description: p.metric.description, url: p.metric.url },
    };
  }
  const i = p.issue;
  if (!i?.issueId) return undefined;
  return {
    key: i.issueId,
    projects: [i.projectSlug],
    level: i.level,
    environment: i.environment,
    fields: {
      kind: 'issue', title: i.title, level: i.level, shortId: i.shortId, project: i.projectSlug, environment: i.environment, culprit: i.culprit,
      release: i.release, rule: i.rule, url: i.url ?? `${sentry.url.replace(/\/+$/, '')}/organizations/${sentry.org}/issues/${i.issueId}/`,
      userCount: i.userCount, firstSeen: i.firstSeen, lastSeen: i.lastSeen,
    },
  };
}

export interface FoldInput {
  key: string;
  fields: Partial<AlertState>;
  route: Route;
  /** `issue.created`: the first event, usually also sent as the first event_alert (count once). */
  createdOnly: boolean;
  /** Sentry's echo of opsbot's own action: updates, never notifies or reopens. */
  echo: boolean;
  /** Whether this alert reopens a resolved or ignored card (every action but `created`). */
  reopens: boolean;
  now: number;
  deliveryId?: string;
}

/** The card state after this alert; `replayed` when this delivery was folded in before (a re-run after a crash). */
export function foldAlert(cur: AlertState | undefined, a: FoldInput): { state: AlertState | undefined; replayed: boolean } {
  const { key, fields, route, createdOnly, echo, now, deliveryId } = a;
  if (deliveryId && cur?.recentDeliveries?.includes(deliveryId)) return { state: cur, replayed: true };
  const next: AlertState = cur
    ? { ...cur, history: [...cur.history], posted: { ...cur.posted } }
    : { key, kind: 'issue', title: '', paging: route.paging, chats: [], owners: [], count: 0, status: 'open', history: [], posted: {}, escalations: 0, updatedAt: now };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') (next as unknown as Record<string, unknown>)[k] = v;
  // issue.created and the first event_alert usually describe the same first event: count it once.
  if (createdOnly) next.count = Math.max(next.count, 1);
  else if (cur?.createdOnly) next.count = Math.max(next.count, 1);
  else next.count += 1;
  next.createdOnly = createdOnly && !cur ? true : undefined;
  if (!next.createdOnly) delete next.createdOnly;
  if (cur && (cur.status === 'resolved' || cur.status === 'ignored') && !echo && a.reopens) {
    next.status = 'open';
    delete next.statusBy;
    next.escalations = 0;
    delete next.escalateAt;
  }
  // event_alert carries no firstSeen: the first event opsbot saw stands in (sentry.md 1.6).
  if (!createdOnly && !fields.lastSeen) next.lastSeen = new Date(now).toISOString();
  if (!next.firstSeen) next.firstSeen = next.lastSeen ?? new Date(now).toISOString();
  next.chats = route.chats;
  next.owners = route.owners;
  next.paging = route.paging;
  if (route.product) next.product = route.product;
  if (route.escalationChain) next.escalationChain = route.escalationChain;
  else delete next.escalationChain;
  if (route.escalateAfterMinutes) next.escalateAfterMinutes = route.escalateAfterMinutes;
  else delete next.escalateAfterMinutes;
  if (next.paging && next.status === 'open' && next.escalateAt === undefined && next.escalateAfterMinutes && !echo) {
    startCycle(next, now, next.escalateAfterMinutes);
  }
  next.updatedAt = now;
  if (deliveryId) next.recentDeliveries = [...(cur?.recentDeliveries ?? []), deliveryId].slice(-50);
  return { state: next, replayed: false };
}
