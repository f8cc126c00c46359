/** The persisted state of one alert card (an issue, or a metric rule): survives restarts (escalation). */
import type { SentryAlertView } from '../../../cards/sentry-alert.ts';
import type { AlertCore } from '../../alerts/state.ts';
import type { Collection, Store } from '../../store/types.ts';

/**
 * The card's fields (cards/sentry-alert.ts), plus the engine's routing, posting and escalation
 * bookkeeping (src/alerts/state.ts; `escalationChain` is the per-product `alerts.escalationChain`,
 * else sentry.escalation.chain).
 */
export interface AlertState extends Omit<SentryAlertView, 'rollback' | 'history' | 'escalations' | 'escalatedTo'>, AlertCore {
  /** Created by issue.created only: the first event_alert for it is the same event (counted once). */
  createdOnly?: boolean | undefined;
}

export const ALERTS_COLLECTION = 'sentry.alerts';

export function alertCollection(store: Store): Collection<AlertState> {
  return store.collection<AlertState>(ALERTS_COLLECTION, { tier: 'hot' });
}

export const cardKeyOf = (key: string): string => `sentry:issue:${key}`;

/** State → the card's view model. */
export function toView(s: AlertState, rollback?: { product: string; env: string }): SentryAlertView {
  const opt = <K extends keyof AlertState>(k: K): Partial<Pick<AlertState, K>> => (s[k] !== undefined ? ({ [k]: s[k] } as Partial<Pick<AlertState, K>>) : {});
  return {
    key: s.key,
    kind: s.kind,
    title: s.title,
    count: s.count,
    status: s.status,
    ...opt('level'),
    ...opt('shortId'),
    ...opt('project'),
    ...opt('environment'),
    ...opt('culprit'),
    ...opt('release'),
    ...opt('rule'),
    ...opt('description'),
    ...opt('url'),
    ...opt('userCount'),
    ...opt('firstSeen'),
    ...opt('lastSeen'),
    ...opt('statusBy'),
    ...opt('assignedTo'),
    ...(s.escalations ? { escalations: s.escalations } : {}),
    ...(s.escalations && s.escalatedTo?.length ? { escalatedTo: s.escalatedTo } : {}),
    ...(rollback ? { rollback } : {}),
    history: s.history,
  };
}
