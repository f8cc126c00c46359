/**
 * The two decisions every alert source shares, each one function so that on-call rotations, `/mute`
 * and deploy freezes can extend them in one place (issue 17: "who to page", "should this post at all").
 * The engine (engine.ts) calls them for every source; today they read only the alert itself.
 */
import type { AlertCore } from './state.ts';

/** The alert as the policy sees it (the source's name and its state). */
export interface PolicySubject {
  source: string;
  alert: Pick<AlertCore, 'key' | 'product' | 'owners' | 'paging' | 'status'> & { labels?: Record<string, string> | undefined; environment?: string | undefined };
}

/** Person ids to @mention on the first post of a paging alert (escalation adds its chain on top). */
export function whoToPage(s: PolicySubject): string[] {
  return s.alert.owners;
}

/** Why a new card must not be posted (a mute, a freeze), or undefined: post it. The state is still kept. */
export function suppressReason(_s: PolicySubject): string | undefined {
  return undefined;
}
