/**
 * What the console reads from other features, each through one small function so a refactor there
 * touches one place here: Sentry's alert collection (being refactored, issue 20 brief) and the
 * freezes service (the freeze feature's FREEZES; absent when that feature is off).
 */
import type { ServiceLookup } from '../core/feature.ts';
import { FREEZES } from '../freeze/service.ts';
import { sentryAlertCard } from '../../cards/sentry-alert.ts';
import type { Button, Card } from '../../cards/model.ts';
import { alertmanagerAlertCard } from '../../cards/alertmanager-alert.ts';
import { toAmView } from '../sources/alertmanager/alerts.ts';
import { AM_ALERTS_COLLECTION, type AmAlertState } from '../sources/alertmanager/state.ts';
import { alertCollection, toView, type AlertState } from '../sources/sentry/state.ts';
import type { Store } from '../store/types.ts';

/** The fields the alerts pages show. */
export type AlertRow = Pick<AlertState, 'key' | 'kind' | 'title' | 'status' | 'count' | 'owners' | 'updatedAt'> &
  Partial<Pick<AlertState, 'level' | 'project' | 'environment' | 'url' | 'statusBy' | 'assignedTo' | 'product' | 'history' | 'culprit' | 'release'>> & {
    source: 'sentry' | 'alertmanager';
    /** The buttons the alert's chat card has (ack, resolve, …), for the alert page's POST forms. */
    buttons(t: (key: string, vars?: Record<string, string | number>) => string): Button[];
  };

const buttonsOf = (card: Card): Button[] => card.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));

/** Every alert the console lists (Sentry's, then Alertmanager's), newest first. The one place that knows where alerts are stored. */
export async function readAlerts(store: Store): Promise<AlertRow[]> {
  const sentry = (await alertCollection(store).list({ newestFirst: true, limit: 500 })).map((a): AlertRow => ({
    ...a,
    source: 'sentry' as const,
    buttons: (t) => buttonsOf(sentryAlertCard(toView(a), t)),
  }));
  const am = (await store.collection<AmAlertState>(AM_ALERTS_COLLECTION, { tier: 'hot' }).list({ newestFirst: true, limit: 500 })).map((a): AlertRow => ({
    key: a.key,
    kind: 'issue',
    title: a.title,
    status: a.status,
    count: a.count,
    owners: a.owners,
    updatedAt: a.updatedAt,
    level: a.severity,
    environment: a.environment,
    url: a.generatorURL,
    statusBy: a.statusBy,
    product: a.product,
    history: a.history,
    culprit: a.summary,
    source: 'alertmanager' as const,
    buttons: (t) => buttonsOf(alertmanagerAlertCard(toAmView(a, { showLabels: [] }), t)),
  }));
  return [...sentry, ...am].sort((x, y) => y.updatedAt - x.updatedAt);
}

/** A freeze as far as the console shows it; whatever the freezes feature stores beyond this is ignored. */
export interface FreezeRow {
  product: string;
  env?: string | undefined;
  reason?: string | undefined;
  until?: number | string | undefined;
}


/** Freezes in force, or [] when no freezes feature is there (or it answers something unexpected). */
export async function readFreezes(services: ServiceLookup): Promise<FreezeRow[]> {
  const f = services.get(FREEZES);
  if (!f) return [];
  try {
    return (await f.active()).map((x) => ({ product: x.product, env: x.env, reason: `${x.reason} (${x.by})`, until: x.until }));
  } catch {
    return [];
  }
}
