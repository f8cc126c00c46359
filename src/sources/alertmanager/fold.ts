/**
 * One alert of a notification folded into its card's state, as pure functions (alerts.ts applies them
 * under the state's lock). One card per fingerprint: a firing re-notified unchanged (same startsAt)
 * changes nothing; a re-fire after resolving (a new startsAt) re-opens the same card, counted.
 */
import { startCycle } from '../../alerts/escalation.ts';
import type { AmRoute } from './routing.ts';
import type { WebhookAlert, WebhookMessage } from './shapes.ts';
import type { AmAlertState } from './state.ts';

/** Alertmanager's zero time: a firing alert's `endsAt` (shapes.ts). */
const isZeroTime = (iso: string | undefined): boolean => !iso || iso.startsWith('0001-01-01');

export const occurrenceOf = (a: Pick<WebhookAlert, 'status' | 'startsAt' | 'endsAt'>): string => `${a.status}|${a.startsAt}|${isZeroTime(a.endsAt) ? '' : a.endsAt}`;

export interface FiringInput {
  fingerprint: string;
  alert: WebhookAlert;
  message: Pick<WebhookMessage, 'externalURL' | 'commonAnnotations'>;
  route: AmRoute;
  now: number;
  deliveryId?: string | undefined;
}

/** The card's fields from one alert (annotations `summary`/`description`, Prometheus' conventions). */
function fieldsOf(a: WebhookAlert, m: FiringInput['message'], route: AmRoute): Partial<AmAlertState> {
  const ann = { ...m.commonAnnotations, ...a.annotations };
  const alertname = a.labels.alertname ?? '?';
  return {
    alertname,
    title: ann.summary || alertname,
    labels: a.labels,
    severity: a.labels.severity,
    summary: ann.summary,
    description: ann.description ?? ann.message,
    generatorURL: a.generatorURL || undefined,
    externalURL: m.externalURL || undefined,
    project: route.product ?? route.team ?? a.labels.job,
    team: route.team,
    environment: route.environment,
  };
}

export function foldFiring(cur: AmAlertState | undefined, i: FiringInput): { state: AmAlertState | undefined; replayed: boolean; changed: boolean } {
  const { fingerprint, alert, route, now, deliveryId } = i;
  if (deliveryId && cur?.recentDeliveries?.includes(deliveryId)) return { state: cur, replayed: true, changed: false };
  const occurrence = occurrenceOf(alert);
  if (cur && cur.occurrence === occurrence) return { state: cur, replayed: false, changed: false };
  const refire = !cur || cur.startsAt !== alert.startsAt || cur.status === 'resolved';
  const next: AmAlertState = cur
    ? { ...cur, history: [...cur.history], posted: { ...cur.posted } }
    : { key: fingerprint, fingerprint, alertname: '', title: '', labels: {}, startsAt: alert.startsAt, occurrence, status: 'open', count: 0, paging: route.paging, chats: [], owners: [], history: [], posted: {}, escalations: 0, updatedAt: now };
  for (const [k, v] of Object.entries(fieldsOf(alert, i.message, route))) {
    if (v !== undefined && v !== '') (next as unknown as Record<string, unknown>)[k] = v;
    else if (k === 'summary' || k === 'description') delete (next as unknown as Record<string, unknown>)[k];
  }
  next.startsAt = alert.startsAt;
  next.occurrence = occurrence;
  if (refire) {
    next.count += 1;
    next.status = 'open';
    delete next.statusBy;
    delete next.endsAt;
    next.escalations = 0;
    delete next.escalateAt;
  }
  next.chats = route.chats;
  next.owners = route.owners;
  next.paging = route.paging;
  if (route.product) next.product = route.product;
  else delete next.product;
  if (route.escalationChain) next.escalationChain = route.escalationChain;
  else delete next.escalationChain;
  if (route.escalateAfterMinutes) next.escalateAfterMinutes = route.escalateAfterMinutes;
  else delete next.escalateAfterMinutes;
  if (next.paging && next.status === 'open' && next.escalateAt === undefined && next.escalateAfterMinutes) startCycle(next, now, next.escalateAfterMinutes);
  next.updatedAt = now;
  if (deliveryId) next.recentDeliveries = [...(cur?.recentDeliveries ?? []), deliveryId].slice(-50);
  return { state: next, replayed: false, changed: true };
}

/** A resolved notification (or opsbot's own finding while silenced) applied to the card. */
export function applyResolved(s: AmAlertState, endsAt: string, occurrence: string, by: string): void {
  s.status = 'resolved';
  s.statusBy = by;
  s.endsAt = endsAt;
  s.occurrence = occurrence;
  delete s.escalateAt;
}
