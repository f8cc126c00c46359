/**
 * The decisions every alert source shares, in one place so that on-call rotations and `/mute` extend
 * them for Sentry and Alertmanager alike (issue 17: "who to page", "should this post at all"; issue 18
 * §2–§3). The engine (engine.ts) asks its policy for every post and every escalation step.
 *
 * - First post of a paging alert: the owners and, when the product's team names an on-call schedule,
 *   the primary on call now.
 * - Escalation step n (a Timers timer, exactly once across replicas): the secondary on call first, then
 *   the configured escalation contacts (`escalationChain`), one more at each step; with the schedule's
 *   `pageDirect`, the people paged by a step also get the card in their direct chat with the bot.
 * - A matching mute (src/mute): the alert is still stored, counted and listed, but posts no card and
 *   pages nobody.
 */
import type { FeatureDeps, ServiceLookup } from '../core/feature.ts';
import type { Card } from '../../cards/model.ts';
import { MUTES } from '../mute/service.ts';
import { alertPagePath, CARD_LINKS, withDetails } from '../web/links.ts';
import { ONCALL } from '../oncall/service.ts';
import type { AlertCore } from './state.ts';

/** The alert as the policy sees it (the source's name and its state). */
export interface PolicySubject {
  source: string;
  alert: Pick<AlertCore, 'key' | 'product' | 'project' | 'owners' | 'paging' | 'status' | 'escalationChain'> & { labels?: Record<string, string> | undefined; environment?: string | undefined; team?: string | undefined };
}

/** Who a step pages: person ids to @mention, and those who also get a direct message. */
export interface Page {
  people: string[];
  direct: string[];
}

export interface Suppression {
  reason: string;
  until: number;
}

export interface AlertPolicy {
  /** Person ids to @mention on the first post of a paging alert. */
  firstPage(s: PolicySubject): Promise<string[]>;
  /** Who escalation step `level` (1-based) pages: everyone of the first page plus the first `level` of the chain. */
  escalation(s: PolicySubject, level: number): Promise<Page>;
  /** Why the alert must not post or page now (a mute) and until when, or undefined. The state is still kept. */
  suppression(s: PolicySubject): Promise<Suppression | undefined>;
}

const unique = (ids: (string | undefined)[]): string[] => [...new Set(ids.filter((x): x is string => !!x))];

/** Owners only, the configured chain, nothing muted: the policy without on-call or mutes. */
export const basePolicy: AlertPolicy = {
  firstPage: async (s) => s.alert.owners,
  escalation: async (s, level) => ({ people: unique([...s.alert.owners, ...(s.alert.escalationChain ?? []).slice(0, level)]), direct: [] }),
  suppression: async () => undefined,
};

/**
 * The policy with the on-call schedule and mutes, read at each decision (a swap or a handoff between
 * the first post and an escalation is honoured). Features that are off (no `oncall`, no mutes) leave
 * the base behaviour.
 */
export function scheduledPolicy(o: { services: ServiceLookup; clock: () => number; pageDirect: (schedule: string) => boolean }): AlertPolicy {
  const onCall = async (s: PolicySubject) => {
    const oncall = o.services.get(ONCALL);
    // A product's team's schedule; a team-only route (Alertmanager `team` label or rule) pages that team's.
    const who = s.alert.product ?? s.alert.team;
    if (!oncall || !who) return undefined;
    return oncall.whoIsOnCall(who, o.clock()).catch(() => undefined);
  };
  return {
    async firstPage(s) {
      const now = await onCall(s);
      return unique([...s.alert.owners, now?.primary]);
    },
    async escalation(s, level) {
      const now = await onCall(s);
      const chain = unique([now?.secondary, ...(s.alert.escalationChain ?? [])]);
      const added = chain.slice(0, level);
      const people = unique([...s.alert.owners, now?.primary, ...added]);
      // The person this step adds (and the primary, who has not acked) get it directly as well.
      const direct = now && o.pageDirect(now.schedule) ? unique([now.primary, added.at(-1)]) : [];
      return { people, direct };
    },
    async suppression(s) {
      const mutes = o.services.get(MUTES);
      if (!mutes) return undefined;
      const hit = await mutes.isMuted({ product: s.alert.product, project: s.alert.project }, o.clock()).catch(() => undefined);
      return hit ? { reason: `muted by ${hit.by}: ${hit.reason}`, until: hit.until } : undefined;
    },
  };
}

/** What an alert source's engine takes from its feature's deps: the scheduled policy, the escalation counter, the details link. */
export function alertPolicyDeps(deps: Pick<FeatureDeps, 'services' | 'clock' | 'config' | 'metrics'>): {
  policy: AlertPolicy;
  onEscalation: (source: string) => void;
  decorateCard: (card: Card, alertKey: string) => Card;
} {
  return {
    // Looked up per card: the web feature is set up after the alert sources.
    decorateCard: (card, key) => withDetails(card, deps.services.get(CARD_LINKS), alertPagePath(key)),
    policy: scheduledPolicy({ services: deps.services, clock: deps.clock, pageDirect: (schedule) => deps.config.oncall[schedule]?.pageDirect === true }),
    onEscalation: (source) => deps.metrics.escalations.inc({ source }),
  };
}
