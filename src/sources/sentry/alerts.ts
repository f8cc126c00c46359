/**
 * Sentry on the shared alert engine (src/alerts/engine.ts: cards per issue or metric rule, per-chat
 * budget, digest folding, escalation timers). This file says what is Sentry's own: which payloads are
 * alerts (alert-fold.ts), where they go (routing.ts), how the card looks (cards/sentry-alert.ts), and
 * that echoes of opsbot's own actions never notify (sentry.md 1.4).
 */
import type { Logger } from 'pino';
import { sentryAlertCard, sentryDigestCard, sentryEscalationCard } from '../../../cards/sentry-alert.ts';
import type { Config } from '../../config/schema.ts';
import { t as translate, type Locale } from '../../core/i18n.ts';
import type { People } from '../../core/people.ts';
import type { Outbox } from '../../core/services.ts';
import type { Timers } from '../../core/timers.ts';
import type { Collection, Store } from '../../store/types.ts';
import { AlertEngine, type AlertEngineDeps, type AlertSourceSpec } from '../../alerts/engine.ts';
import type { SentryConfig } from './config.ts';
import { isOwnActor, type SentryEventPayload } from './map.ts';
import { rollbackForAlert, routeAlert } from './routing.ts';
import { alertFacts, foldAlert } from './alert-fold.ts';
import { ALERTS_COLLECTION, cardKeyOf, toView, type AlertState } from './state.ts';

export { STATE_RETENTION_MS } from '../../alerts/engine.ts';

export interface AlertsDeps extends Pick<AlertEngineDeps, 'policy' | 'onEscalation' | 'decorateCard'> {
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

/** Sentry's names, limits and cards for the engine. */
export function sentryAlertSpec(deps: Pick<AlertsDeps, 'config' | 'sentry' | 'locale' | 'currentDeploy'>): AlertSourceSpec<AlertState> {
  const tr = (key: string, vars?: Record<string, string | number>): string => translate(deps.locale, key, vars);
  return {
    source: 'sentry',
    collection: ALERTS_COLLECTION,
    cardKeyOf,
    budgetPerChatPerMinute: deps.sentry.budgetPerChatPerMinute,
    refreshSeconds: deps.sentry.refreshSeconds,
    escalation: deps.sentry.escalation,
    view: (s) => toView(s),
    card: (s, rollback) => sentryAlertCard(toView(s, rollback), tr),
    digest: (states) => sentryDigestCard(states.map((s) => ({ key: s.key, title: s.title, ...(s.project ? { project: s.project } : {}), count: s.count })), tr),
    escalationCard: (s, minutes, rollback) => sentryEscalationCard(toView(s, rollback), minutes, tr),
    rollbackFor: (s) => rollbackForAlert(deps.config, deps.sentry.releaseFormat, deps.currentDeploy, s),
  };
}

export class SentryAlerts {
  readonly engine: AlertEngine<AlertState>;
  readonly states: Collection<AlertState>;
  private readonly warned = new Set<string>();

  constructor(private readonly deps: AlertsDeps) {
    this.engine = new AlertEngine(sentryAlertSpec(deps), deps);
    this.states = this.engine.states;
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
    await this.engine.ingest(
      key,
      (cur) => foldAlert(cur, { key, fields, route, createdOnly: p.resource === 'issue', echo, reopens: p.action !== 'created', now, ...(deliveryId ? { deliveryId } : {}) }),
      { quiet: echo },
    );
  }

  /**
   * Apply a state change (a webhook from Sentry, or a button) and refresh the card everywhere it was
   * posted, without @mentions. Returns undefined when opsbot has no card for this key.
   */
  change(key: string, fn: (s: AlertState) => void): Promise<AlertState | undefined> {
    return this.engine.change(key, fn);
  }

  /** Flush folded refreshes and digests (this process's lanes); escalation runs on Timers. */
  tick(): Promise<void> {
    return this.engine.tick();
  }
}
