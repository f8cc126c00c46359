/**
 * Alertmanager on the shared alert engine (src/alerts/engine.ts): each alert of a notification becomes
 * or updates its card (one per fingerprint, fold.ts); resolutions and people's actions go through
 * `change` (refreshed at once, no @mentions). A silenced alert's resolution is never notified
 * (alerting-and-engines.md §1, verified), so `tick` asks Alertmanager about silenced cards
 * (`silencedCheckSeconds`) and resolves the card itself; an expired silence is cleared from the card.
 */
import type { Logger } from 'pino';
import { alertmanagerAlertCard, alertmanagerDigestCard, alertmanagerEscalationCard, type AlertmanagerAlertView } from '../../../cards/alertmanager-alert.ts';
import type { Config } from '../../config/schema.ts';
import { StorageUnavailableError } from '../../core/errors.ts';
import { t as translate, type Locale } from '../../core/i18n.ts';
import type { People } from '../../core/people.ts';
import type { Outbox } from '../../core/services.ts';
import type { Timers } from '../../core/timers.ts';
import type { Store } from '../../store/types.ts';
import { AlertEngine, type AlertEngineDeps, type AlertSourceSpec, type RollbackTarget } from '../../alerts/engine.ts';
import { rollbackForAlert } from '../../alerts/rollback.ts';
import type { AlertmanagerApi } from './api.ts';
import type { AlertmanagerConfig } from './config.ts';
import { applyResolved, foldFiring, occurrenceOf } from './fold.ts';
import { routeAmAlert } from './routing.ts';
import { fingerprintOf } from './source.ts';
import type { WebhookMessage } from './shapes.ts';
import { AM_ALERTS_COLLECTION, amCardKeyOf, type AmAlertState } from './state.ts';

export interface AmAlertsDeps extends Pick<AlertEngineDeps, 'policy' | 'onEscalation' | 'decorateCard'> {
  config: Config;
  am: AlertmanagerConfig;
  store: Store;
  outbox: Outbox;
  log: Logger;
  locale: Locale;
  clock: () => number;
  people: People;
  timers: Timers;
  api?: AlertmanagerApi | undefined;
  currentDeploy?: ((product: string, env: string) => Promise<{ release: string } | undefined>) | undefined;
}

/** A link to the alert in Alertmanager's UI (its `externalURL`, filtered by the alert's labels). */
function alertmanagerLink(s: AmAlertState): string | undefined {
  if (!s.externalURL) return undefined;
  const filter = `{${Object.entries(s.labels).map(([k, v]) => `${k}="${v.replace(/"/g, '\\"')}"`).join(',')}}`;
  return `${s.externalURL.replace(/\/+$/, '')}/#/alerts?filter=${encodeURIComponent(filter)}`;
}

export function toAmView(s: AmAlertState, am: Pick<AlertmanagerConfig, 'showLabels'>, rollback?: RollbackTarget): AlertmanagerAlertView {
  const link = alertmanagerLink(s);
  return {
    key: s.key,
    alertname: s.alertname,
    labels: am.showLabels.filter((l) => s.labels[l] !== undefined && s.labels[l] !== '').map((l) => [l, s.labels[l]!] as [string, string]),
    startsAt: s.startsAt,
    status: s.status,
    count: s.count,
    ...(s.severity ? { severity: s.severity } : {}),
    ...(s.summary ? { summary: s.summary } : {}),
    ...(s.description ? { description: s.description } : {}),
    ...(s.endsAt ? { endsAt: s.endsAt } : {}),
    ...(s.statusBy ? { statusBy: s.statusBy } : {}),
    ...(s.escalations ? { escalations: s.escalations } : {}),
    ...(s.escalations && s.escalatedTo?.length ? { escalatedTo: s.escalatedTo } : {}),
    ...(s.silence ? { silence: { by: s.silence.by, until: s.silence.until } } : {}),
    ...(s.generatorURL ? { generatorURL: s.generatorURL } : {}),
    ...(link ? { alertmanagerURL: link } : {}),
    ...(rollback && s.status !== 'resolved' ? { rollback } : {}),
    history: s.history,
  };
}

export function amAlertSpec(deps: Pick<AmAlertsDeps, 'config' | 'am' | 'locale' | 'currentDeploy'>): AlertSourceSpec<AmAlertState> {
  const tr = (key: string, vars?: Record<string, string | number>): string => translate(deps.locale, key, vars);
  const { am } = deps;
  return {
    source: 'alertmanager',
    collection: AM_ALERTS_COLLECTION,
    cardKeyOf: amCardKeyOf,
    budgetPerChatPerMinute: am.budgetPerChatPerMinute,
    refreshSeconds: am.refreshSeconds,
    escalation: am.escalation,
    view: (s) => toAmView(s, am),
    card: (s, rollback) => alertmanagerAlertCard(toAmView(s, am, rollback), tr),
    digest: (states) =>
      alertmanagerDigestCard(
        states.map((s) => ({ key: s.key, title: s.title, severity: s.severity, labels: am.showLabels.filter((l) => s.labels[l]).map((l) => `${l}=${s.labels[l]}`).join(' ') })),
        tr,
      ),
    escalationCard: (s, minutes, rollback) => alertmanagerEscalationCard(toAmView(s, am, rollback), minutes, tr),
    rollbackFor: (s) => rollbackForAlert(deps.config, '{release}', deps.currentDeploy, { product: s.product, environment: s.environment }),
  };
}

export class AmAlerts {
  readonly engine: AlertEngine<AmAlertState>;
  private readonly warned = new Set<string>();
  private readonly tr: (key: string, vars?: Record<string, string | number>) => string;

  constructor(private readonly deps: AmAlertsDeps) {
    this.engine = new AlertEngine(amAlertSpec(deps), deps);
    this.tr = (key, vars) => translate(deps.locale, key, vars);
  }

  get states() {
    return this.engine.states;
  }

  /** One webhook notification: every alert in it, in order. */
  async onNotification(m: WebhookMessage, deliveryId?: string): Promise<void> {
    const { log } = this.deps;
    if (m.truncatedAlerts > 0) log.warn({ truncated: m.truncatedAlerts, groupKey: m.groupKey }, 'alertmanager: notification truncated (webhook max_alerts); the rest are not shown');
    for (const alert of m.alerts) {
      try {
        await this.onAlert(m, alert, deliveryId);
      } catch (err) {
        // Storage trouble: the whole delivery is tried again later (folding is idempotent per delivery).
        if (err instanceof StorageUnavailableError) throw err;
        // Anything else is this one alert's: log it and let its siblings in the notification through.
        log.error({ err, alertname: alert.labels.alertname, fingerprint: alert.fingerprint }, 'alertmanager: one alert of a notification failed');
      }
    }
  }

  private async onAlert(m: WebhookMessage, alert: WebhookMessage['alerts'][number], deliveryId: string | undefined): Promise<void> {
    const { config, am, clock, log } = this.deps;
    const fingerprint = fingerprintOf(alert);
    if (alert.status === 'resolved') {
      const occurrence = occurrenceOf(alert);
      await this.engine.change(fingerprint, (s) => {
        if (s.occurrence === occurrence || s.startsAt !== alert.startsAt) return; // a repeat, or a stale resolve of an earlier firing
        applyResolved(s, alert.endsAt, occurrence, 'Alertmanager');
      });
      return;
    }
    const route = routeAmAlert(config, am, alert.labels);
    const name = alert.labels.alertname ?? '?';
    if (route.unmapped && !this.warned.has(name)) {
      this.warned.add(name);
      log.warn({ alertname: name, defaultChat: am.defaultChat ?? null }, 'alertmanager alert not routed to a product or team (alertmanager.routes, product/team label)');
    }
    await this.engine.ingest(fingerprint, (cur) => foldFiring(cur, { fingerprint, alert, message: m, route, now: clock(), deliveryId }));
  }

  change(key: string, fn: (s: AmAlertState) => void): Promise<AmAlertState | undefined> {
    return this.engine.change(key, fn);
  }

  /** The engine's tick, then the silenced cards: expired silences cleared, silent resolutions found. */
  async tick(): Promise<void> {
    await this.engine.tick();
    const now = this.deps.clock();
    const gap = this.deps.am.silencedCheckSeconds * 1000;
    const due = await this.states.list({ filter: (s) => !!s.silence && s.status !== 'resolved' && now - (s.silenceCheckedAt ?? 0) >= gap });
    for (const s of due) await this.checkSilenced(s, now);
  }

  private async checkSilenced(s: AmAlertState, now: number): Promise<void> {
    let active: boolean | undefined;
    if (this.deps.api) {
      try {
        active = await this.deps.api.isActive(s.fingerprint, s.labels);
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, fingerprint: s.fingerprint }, 'alertmanager: could not check a silenced alert');
      }
    }
    const expired = !!s.silence && Date.parse(s.silence.until) <= now;
    await this.change(s.key, (x) => {
      x.silenceCheckedAt = now;
      if (active === false && x.status !== 'resolved') {
        applyResolved(x, new Date(now).toISOString(), `resolved|${x.startsAt}|silenced`, 'Alertmanager');
        x.history.push(this.tr('am.history.resolvedSilenced'));
      }
      if (expired && x.silence) {
        delete x.silence;
        x.history.push(this.tr('am.history.silenceEnded'));
      }
    });
  }
}
