/**
 * Labels → product, team, chats, owners, environment (issue 17 §2). Order: the first
 * `alertmanager.routes` rule whose matchers all hold; else a `product` label naming a configured product;
 * else a `team` label naming a configured team; else `alertmanager.defaultChat` (unmapped).
 * Matcher values (config.ts): `x` or `=x` equal, `!=x` not equal, `=~re` / `!~re` an anchored regex
 * (Alertmanager anchors its regex matchers too); a missing label reads as "" (Alertmanager's semantics).
 * Severity from the `severity` label: one of `pagingSeverities` (or none) pages; others post quietly.
 */
import type { AlertRoute } from '../../alerts/types.ts';
import type { Config } from '../../config/schema.ts';
import type { AlertmanagerConfig, AlertmanagerRoute } from './config.ts';

/** An Alertmanager alert's route: the shared one, plus the team and environment its labels name. */
export interface AmRoute extends AlertRoute {
  team?: string;
  environment?: string;
}

const regexCache = new Map<string, RegExp>();
function anchored(re: string): RegExp {
  let r = regexCache.get(re);
  if (!r) regexCache.set(re, (r = new RegExp(`^(?:${re})$`)));
  return r;
}

/** One matcher value against a label value (see the file comment for the syntax). */
export function labelMatches(value: string | undefined, spec: string): boolean {
  const v = value ?? '';
  if (spec.startsWith('=~')) return anchored(spec.slice(2)).test(v);
  if (spec.startsWith('!~')) return !anchored(spec.slice(2)).test(v);
  if (spec.startsWith('!=')) return v !== spec.slice(2);
  if (spec.startsWith('=')) return v === spec.slice(1);
  return v === spec;
}

export function ruleMatches(rule: AlertmanagerRoute, labels: Record<string, string>): boolean {
  return Object.entries(rule.match).every(([name, spec]) => labelMatches(labels[name], spec));
}

export function routeAmAlert(config: Config, am: AlertmanagerConfig, labels: Record<string, string>): AmRoute {
  const rule = am.routes.find((r) => ruleMatches(r, labels));
  // Own keys only: a label value is anyone's text, and `constructor` or `__proto__` must not find Object's.
  const productId = rule?.product ?? (rule?.team ? undefined : labels.product && Object.hasOwn(config.products, labels.product) ? labels.product : undefined);
  const teamId = rule?.team ?? (productId ? config.products[productId]?.team : labels.team && Object.hasOwn(config.teams, labels.team) ? labels.team : undefined);
  const environment = rule?.environment ?? labels.environment ?? labels.env;
  const sev = labels.severity?.toLowerCase();
  const paging = sev === undefined || am.pagingSeverities.includes(sev);
  const product = productId && Object.hasOwn(config.products, productId) ? config.products[productId] : undefined;
  const team = teamId && Object.hasOwn(config.teams, teamId) ? config.teams[teamId] : undefined;
  const fallback = am.defaultChat ? [am.defaultChat] : [];
  if (!product && !team) return { chats: fallback, owners: [], paging, unmapped: true, ...(environment ? { environment } : {}), ...esc(am, undefined, paging) };
  const chats = team && team.chats.length > 0 ? team.chats : fallback;
  return {
    ...(productId ? { product: productId } : {}),
    ...(teamId ? { team: teamId } : {}),
    ...(environment ? { environment } : {}),
    chats,
    // Owners are a product's; a team-only route pages nobody by name (policy.ts whoToPage may add on-call).
    owners: paging ? (product?.owners ?? []) : [],
    paging,
    unmapped: false,
    ...esc(am, product?.alerts, paging),
  };
}

function esc(am: AlertmanagerConfig, alerts: { escalateAfterMinutes?: number | undefined; escalationChain?: string[] | undefined } | undefined, paging: boolean): { escalateAfterMinutes?: number; escalationChain?: string[] } {
  if (!paging) return {};
  const m = alerts?.escalateAfterMinutes ?? am.escalation?.afterMinutes;
  return { ...(m ? { escalateAfterMinutes: m } : {}), ...(alerts?.escalationChain ? { escalationChain: alerts.escalationChain } : {}) };
}
