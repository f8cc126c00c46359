/**
 * The source-neutral part of an alert card's persisted state: what the engine (engine.ts) needs for
 * routing, posting, folding, escalation and ack/resolve bookkeeping. A source (Sentry, Alertmanager)
 * extends it with what its card shows.
 */

/** `acked`: someone took it (escalation stops); `resolved`/`ignored`: closed (by the source or a person). */
export type AlertStatus = 'open' | 'acked' | 'resolved' | 'ignored';

export interface AlertCore {
  key: string;
  title: string;
  status: AlertStatus;
  /** Who acked/resolved/ignored it (a person's name, or the source). */
  statusBy?: string | undefined;
  /** Folded occurrences (the digest line shows it). */
  count: number;
  /** Shown in digest lines. */
  project?: string | undefined;
  product?: string | undefined;
  /** Passed the product's filters: @mentions and escalation apply. */
  paging: boolean;
  chats: string[];
  /** Person ids to page (policy.ts `whoToPage` may widen it). */
  owners: string[];
  history: string[];
  /** chat → ms of the first post there. */
  posted: Record<string, number>;
  escalateAfterMinutes?: number | undefined;
  /** Extra people at escalation n (chain[0] at the first). */
  escalationChain?: string[] | undefined;
  /** When the next escalation is due (also a Timers timer: escalation.ts). */
  escalateAt?: number | undefined;
  /** Start of the current escalation cycle: part of the one-shot timer keys (escalation.ts). */
  escalationEpoch?: number | undefined;
  escalations: number;
  /** Names of the people the last escalation step paged ("已升级至 …" on the card). */
  escalatedTo?: string[] | undefined;
  /**
   * The last deliveries applied to this card. A crash between saving this state and marking the
   * delivery processed re-runs the delivery after restart; it must not count twice.
   */
  recentDeliveries?: string[] | undefined;
  updatedAt: number;
}
