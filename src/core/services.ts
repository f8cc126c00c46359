/**
 * The core's own services, reached through typed keys like every feature's (feature.ts): the outbox
 * shape, the command catalog (for /help) and the pending confirmations (for /confirm and a bare /cancel).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/types.ts';
import type { CommandSpec } from './define-command.ts';
import type { EventBus } from './events.ts';
import type { Locale } from './i18n.ts';
import { serviceKey } from './feature.ts';
import type { IncomingMessage, OutgoingMessage } from './message.ts';
import type { Confirmations } from './confirm.ts';
import type { Redactor } from './redact.ts';
import type { OutboxRow } from './outbox-ledger.ts';

/** Sends to chats by address, applying per-chat budgets; durable and retried (core/outbox.ts). */
export interface Outbox {
  send(msg: OutgoingMessage): Promise<void>;
}

/** What /outbox sees of the outbox: queued and dead sends, and a way to queue the dead ones again. */
export interface OutboxAdmin {
  list(o?: { limit?: number }): Promise<OutboxRow[]>;
  /** Dead sends of `chat` (every chat when undefined) are queued again; returns how many. */
  retryDead(chat?: string): Promise<number>;
}

/**
 * The process-wide parts most features and reactions use, passed explicitly (a fixed, read-only set;
 * feature services are reached through keys, never added here).
 */
export interface CoreDeps {
  config: Config;
  store: Store;
  events: EventBus;
  outbox: Outbox;
  log: Logger;
  locale: Locale;
  clock: () => number;
  /**
   * The process's secret redaction (core/redact.ts, built from loadConfig's `secrets`). Features use it
   * for text they write outside the outbox (task logs, upstream error text). Unset: patterns only.
   */
  redactor?: Redactor | undefined;
}

/** The pending-confirmation flow, for `/cancel` without an id. */
export interface ConfirmationService {
  cancel(msg: IncomingMessage): Promise<boolean>;
}

/** The command declarations, for /help. */
export interface CommandCatalog {
  list(): CommandSpec[];
  get(name: string): CommandSpec | undefined;
}

export const COMMANDS = serviceKey<CommandCatalog>('commands');
export const OUTBOX = serviceKey<OutboxAdmin>('outbox');
export const CONFIRMATIONS = serviceKey<Pick<Confirmations, 'take' | 'cancel'>>('confirmations');
