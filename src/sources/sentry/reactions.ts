/**
 * Wiring of the Sentry feature onto the bus: deliveries → domain events (map.ts) → the alert engine.
 * Echoes of opsbot's own API calls (actor = our app) update cards but never notify (sentry.md 1.4).
 */
import type { AlertEngineDeps } from '../../alerts/engine.ts';
import type { EventType } from '../../core/events.ts';
import type { People } from '../../core/people.ts';
import type { CoreDeps } from '../../core/services.ts';
import { StoreTimers, type Timers } from '../../core/timers.ts';
import { SentryAlerts } from './alerts.ts';
import type { SentryConfig } from './config.ts';
import { isOwnActor, type SentryEventPayload } from './map.ts';

/** What the Sentry reactions use: the core parts, who is who, and (optionally) the store's timers. */
export type SentryServices = CoreDeps & { people: People; timers?: Timers } & Pick<AlertEngineDeps, 'policy' | 'onEscalation' | 'decorateCard'>;

/** The Sentry events declared in map.ts. */
type SentryEventType = Extract<EventType, `sentry.${string}`>;

export interface SentryReactionsDeps {
  sentry: SentryConfig;
  /** How often `tick()` runs on a real timer; 0 = no timer (tests drive `tick()`). Default 5000. */
  tickMs?: number;
  /**
   * Escalation timers; default `services.timers`, else an embedded StoreTimers on services.store and
   * services.clock, owned by these reactions (polling every tickMs; not started when tickMs is 0).
   */
  timers?: Timers;
  /** See AlertsDeps.currentDeploy. */
  currentDeploy?: (product: string, env: string) => Promise<{ release: string } | undefined>;
}

export interface SentryReactions {
  alerts: SentryAlerts;
  /** The Timers escalation runs on. */
  timers: Timers;
  tick(): Promise<void>;
  stop(): void;
}

/** Subscribe the alert engine to `sentry.*` events. */
export function registerSentryReactions(services: SentryServices, deps: SentryReactionsDeps): SentryReactions {
  const { events, log } = services;
  const tickMs = deps.tickMs ?? 5000;
  const given = deps.timers ?? services.timers;
  const own = given ? undefined : new StoreTimers({ store: services.store, log, clock: services.clock, pollMs: tickMs });
  const timers = given ?? own!;
  const alerts = new SentryAlerts({ ...services, timers, sentry: deps.sentry, ...(deps.currentDeploy ? { currentDeploy: deps.currentDeploy } : {}) });
  const offs: (() => void)[] = [];
  const on = (type: SentryEventType, fn: (p: SentryEventPayload, deliveryId?: string) => Promise<void>): void => {
    offs.push(events.on(type, (e) => fn(e.payload, e.deliveryId)));
  };
  const alert = (p: SentryEventPayload, deliveryId?: string): Promise<void> => alerts.onAlert(p, deliveryId);
  on('sentry.event_alert.triggered', alert);
  on('sentry.issue.created', alert);
  on('sentry.metric_alert.critical', alert);
  on('sentry.metric_alert.warning', alert);
  on('sentry.metric_alert.resolved', async (p) => {
    if (!p.metric) return;
    await alerts.change(`metric:${p.metric.ruleId}`, (s) => {
      s.status = 'resolved';
      s.statusBy = p.actor.name || 'Sentry';
      if (p.metric?.description) s.description = p.metric.description;
    });
  });
  // State changes made elsewhere (Sentry UI, auto-resolve, or our own echo) update the card.
  const issueChange = async (p: SentryEventPayload): Promise<void> => {
    const i = p.issue;
    if (!i?.issueId) return;
    const echo = isOwnActor(p.actor, deps.sentry);
    await alerts.change(i.issueId, (s) => {
      const by = p.actor.name || 'Sentry';
      if (i.userCount !== undefined) s.userCount = i.userCount;
      if (i.shortId) s.shortId = i.shortId;
      if (p.action === 'resolved' && !(echo && s.status === 'resolved')) {
        s.status = 'resolved';
        s.statusBy = by;
      } else if (p.action === 'ignored' && !(echo && s.status === 'ignored')) {
        s.status = 'ignored';
        s.statusBy = by;
      } else if (p.action === 'unresolved' && !echo) {
        s.status = 'open';
        delete s.statusBy;
      } else if (p.action === 'assigned' && i.assignee && !echo) {
        s.assignedTo = i.assignee.name;
      }
    });
  };
  for (const a of ['resolved', 'ignored', 'unresolved', 'assigned'] as const) on(`sentry.issue.${a}`, issueChange);
  on('sentry.comment.created', async (p) => {
    if (!p.comment || isOwnActor(p.actor, deps.sentry)) return;
    const c = p.comment;
    await alerts.change(c.issueId, (s) => void s.history.push(`💬 ${p.actor.name}: ${c.text.slice(0, 120)}`));
  });
  on('sentry.installation.created', async (p) => void log.info({ installation: p.installation?.uuid, org: p.installation?.org }, 'sentry installation created'));
  on('sentry.installation.deleted', async (p) => void log.warn({ installation: p.installation?.uuid }, 'sentry installation deleted'));

  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    try {
      await alerts.tick();
    } catch (err) {
      log.error({ err }, 'sentry alert tick failed');
    }
  };
  if (tickMs > 0) {
    timer = setInterval(() => void tick(), tickMs);
    timer.unref();
    if (own) void own.start().catch((err: unknown) => log.error({ err }, 'sentry escalation timers failed to start'));
  }
  return {
    alerts,
    timers,
    tick,
    stop() {
      if (timer) clearInterval(timer);
      if (own) void own.stop();
      for (const off of offs) off();
    },
  };
}
