/**
 * What the alert engine (engine.ts) is given: a source's spec (names, limits, cards) and the engine's
 * dependencies. Kept apart so the engine file holds only behaviour.
 */
import type { Logger } from 'pino';
import type { Card } from '../../cards/model.ts';
import type { People } from '../core/people.ts';
import type { Outbox } from '../core/services.ts';
import type { Timers } from '../core/timers.ts';
import type { Store } from '../store/types.ts';
import type { AlertPolicy } from './policy.ts';
import type { AlertCore } from './state.ts';

export type RollbackTarget = { product: string; env: string };

/** What a source tells the engine: names, limits and how its cards look. */
export interface AlertSourceSpec<S extends AlertCore> {
  /** `sentry`, `alertmanager`: prefixes the timer kind and keys (escalation.ts). */
  source: string;
  /** The hot collection of states. */
  collection: string;
  /** The card key of an alert's card (the outbox updates a card in place by it). */
  cardKeyOf(key: string): string;
  /** Messages per chat per minute, and the least gap between refreshes of one card in a storm. */
  budgetPerChatPerMinute: number;
  refreshSeconds: number;
  /** Where escalations go (default: the alert's chats) and who is added at level n. */
  escalation?: { to?: string | undefined; chain: string[] } | undefined;
  /** What the card shows: a change that leaves it equal spends no message. */
  view(s: S): unknown;
  card(s: S, rollback: RollbackTarget | undefined): Card;
  digest(states: S[]): Card;
  escalationCard(s: S, minutes: number, rollback: RollbackTarget | undefined): Card;
  /** The Rollback button's target, read at render time (optional). */
  rollbackFor?(s: S): Promise<RollbackTarget | undefined>;
}

export interface AlertEngineDeps {
  store: Store;
  outbox: Outbox;
  log: Logger;
  clock: () => number;
  people: People;
  timers: Timers;
  /** Adds what the card links to beyond the source (the web console's signed "Details" link). */
  decorateCard?: ((card: Card, alertKey: string) => Card) | undefined;
  /** Counts escalation steps sent (opsbot_escalations_total). */
  onEscalation?: ((source: string) => void) | undefined;
  /** Who to page, when to stay quiet (policy.ts); default: owners and the configured chain. */
  policy?: AlertPolicy | undefined;
}

/** Where an alert goes and who it pages, as a source's routing decides it (Sentry project, Alertmanager labels). */
export interface AlertRoute {
  product?: string;
  /** Chats the card goes to (empty: counted only). */
  chats: string[];
  /** Person ids @mentioned on the first post and on escalation (empty for quiet alerts). */
  owners: string[];
  /** Passed the product's filters: @mentions and escalation apply. */
  paging: boolean;
  /** Nothing claimed the alert: the default chat got it. */
  unmapped: boolean;
  escalateAfterMinutes?: number;
  escalationChain?: string[];
}
