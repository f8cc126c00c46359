/**
 * The cross-source part of alerting as a feature, listed after the alert sources: the `/alerts` board
 * over every source that is on, and the `opsbot_alerts_open{source,severity}` gauge (contract.md),
 * collected at scrape time from the sources' state (so it is right on every replica).
 */
import { Gauge } from 'prom-client';
import { alertsCommands } from '../../commands/index.ts';
import { defineFeature, provide } from '../core/feature.ts';
import { ALERTMANAGER } from '../sources/alertmanager/service.ts';
import { alertmanagerMessages } from '../sources/alertmanager/messages.ts';
import { SENTRY } from '../sources/sentry/service.ts';
import { MUTES } from '../mute/service.ts';
import { OPEN_ITEMS } from '../oncall/handoff.ts';
import { AlertBoard, ALERTS, type BoardSource } from './board.ts';

/** Severities the gauge labels by (Sentry levels and the usual Alertmanager ones); anything else is `other`. */
const SEVERITIES = new Set(['critical', 'fatal', 'error', 'warning', 'info', 'debug', 'page', 'none']);
const boundedSeverity = (s: string): string => (SEVERITIES.has(s.toLowerCase()) ? s.toLowerCase() : 'other');

export const alertsFeature = defineFeature({
  name: 'alerts',
  commands: alertsCommands,
  messages: alertmanagerMessages,
  enabled: (config) => config.sentry !== undefined || config.alertmanager !== undefined,
  setup(deps) {
    const sources: BoardSource[] = [];
    const sentry = deps.services.get(SENTRY);
    if (sentry) sources.push({ source: 'sentry', states: sentry.alerts.states, severityOf: (s) => (s as { level?: string }).level ?? 'error', sinceOf: (s) => (s as { firstSeen?: string }).firstSeen });
    const am = deps.services.get(ALERTMANAGER);
    if (am) {
      sources.push({
        source: 'alertmanager',
        states: am.alerts.states as unknown as BoardSource['states'],
        severityOf: (s) => (s as { severity?: string }).severity ?? 'none',
        sinceOf: (s) => (s as { startsAt?: string }).startsAt,
        silenced: (s) => !!(s as { silence?: unknown }).silence,
      });
    }
    const mutes = deps.services.get(MUTES);
    const board = new AlertBoard(sources, async () => (mutes ? mutes.active() : []));
    const names = sources.map((s) => s.source);
    // Registered once per registry (a metrics feature may have created it first: then it owns collection).
    if (!deps.metrics.registry.getSingleMetric('opsbot_alerts_open')) new Gauge({
      name: 'opsbot_alerts_open',
      help: 'Alerts firing now (open or acknowledged, not resolved), by source and severity',
      labelNames: ['source', 'severity'],
      registers: [deps.metrics.registry],
      async collect() {
        const rows = await board.counts().catch(() => undefined);
        if (!rows) return;
        this.reset();
        for (const n of names) if (!rows.some((r) => r.source === n)) this.set({ source: n, severity: 'none' }, 0);
        // Severity comes from webhook input (an Alertmanager label): bounded to known values, else `other`.
        const tally = new Map<string, number>();
        for (const r of rows) {
          const k = `${r.source}\u0000${boundedSeverity(r.severity)}`;
          tally.set(k, (tally.get(k) ?? 0) + r.n);
        }
        for (const [k, n] of tally) {
          const [source, severity] = k.split('\u0000') as [string, string];
          this.set({ source, severity }, n);
        }
      },
    });
    // The handoff card lists what is still open and unacknowledged for the schedule's products.
    const openItems = async (q: { products: string[] }) =>
      (await board.open()).filter((a) => a.status === 'open' && a.product !== undefined && q.products.includes(a.product)).map((a) => ({ source: a.source, title: a.title, since: a.since ? Date.parse(a.since) : undefined }));
    return { provides: [provide(ALERTS, board), provide(OPEN_ITEMS, openItems)] };
  },
});
