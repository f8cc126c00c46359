/**
 * Sentry project → product → team chats and owners (core/people.ts turns owners into @mentions), and the per-product
 * level/environment filters (issue 7 §2). Pure over the config, so it is tested without a bus.
 */
import type { AlertRoute } from '../../alerts/types.ts';
import type { Config } from '../../config/schema.ts';
import { levelRank, productAlertsSchema, type ProductAlerts, type SentryConfig } from './config.ts';

/** A Sentry alert's route (unmapped: no product claims the project). */
export type Route = AlertRoute;

const alertsCache = new WeakMap<object, ProductAlerts>();
function alertsOf(product: { alerts?: unknown }): ProductAlerts {
  const raw = product.alerts;
  if (!raw || typeof raw !== 'object') return {};
  let parsed = alertsCache.get(raw);
  if (!parsed) {
    const r = productAlertsSchema.safeParse(raw);
    parsed = r.success ? r.data : {};
    alertsCache.set(raw, parsed);
  }
  return parsed;
}

/** The product whose `sentryProjects` lists one of these slugs. */
export function productForProjects(config: Config, slugs: (string | undefined)[]): string | undefined {
  for (const slug of slugs) {
    if (!slug) continue;
    for (const [id, p] of Object.entries(config.products)) if (p.sentryProjects.includes(slug)) return id;
  }
  return undefined;
}

/** Where an alert for these projects goes, and whether it pages. */
export function routeAlert(config: Config, sentry: SentryConfig, a: { projects: (string | undefined)[]; level?: string | undefined; environment?: string | undefined }): Route {
  const productId = productForProjects(config, a.projects);
  const product = productId ? config.products[productId] : undefined;
  if (!productId || !product) {
    return { chats: sentry.defaultChat ? [sentry.defaultChat] : [], owners: [], paging: true, unmapped: true, ...esc(sentry, undefined) };
  }
  const alerts = alertsOf(product);
  const team = product.team ? config.teams[product.team] : undefined;
  const teamChats = team && team.chats.length > 0 ? team.chats : sentry.defaultChat ? [sentry.defaultChat] : [];
  const levelOk = alerts.minLevel === undefined || levelRank(a.level) >= levelRank(alerts.minLevel);
  const envOk = alerts.environments === undefined || (a.environment !== undefined && alerts.environments.includes(a.environment));
  if (levelOk && envOk) return { product: productId, chats: teamChats, owners: product.owners, paging: true, unmapped: false, ...esc(sentry, alerts) };
  return { product: productId, chats: alerts.digestChat ? [alerts.digestChat] : [], owners: [], paging: false, unmapped: false };
}

function esc(sentry: SentryConfig, alerts: ProductAlerts | undefined): { escalateAfterMinutes?: number; escalationChain?: string[] } {
  const m = alerts?.escalateAfterMinutes ?? sentry.escalation?.afterMinutes;
  return { ...(m ? { escalateAfterMinutes: m } : {}), ...(alerts?.escalationChain ? { escalationChain: alerts.escalationChain } : {}) };
}

export { rollbackForAlert, rollbackTarget } from '../../alerts/rollback.ts';
