/**
 * What commands and reactions can use. Features add their own service by declaration merging in their
 * own file, e.g. `declare module '../core/services.ts' { interface Services { sentry?: SentryService } }`.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/types.ts';
import type { EventBus } from './events.ts';
import type { Locale } from './i18n.ts';
import type { IncomingMessage, OutgoingMessage } from './message.ts';
import type { Redactor } from './redact.ts';

/** Sends to chats by address, applying per-chat budgets. */
export interface Outbox {
  send(msg: OutgoingMessage): Promise<void>;
}

/** The pending-confirmation flow, for `/cancel` without an id. */
export interface ConfirmationService {
  cancel(msg: IncomingMessage): Promise<boolean>;
}

export interface Services {
  config: Config;
  store: Store;
  events: EventBus;
  outbox: Outbox;
  log: Logger;
  locale: Locale;
  clock: () => number;
  confirmations?: ConfirmationService;
  commands?: CommandCatalog;
  /**
   * The process's secret redaction (core/redact.ts, built from loadConfig's `secrets`). Features use it
   * for text they write outside the outbox (task logs, upstream error text). Unset: patterns only.
   */
  redactor?: Redactor;
}

/** The command declarations, for /help. */
export interface CommandCatalog {
  list(): import('./define-command.ts').CommandSpec[];
  get(name: string): import('./define-command.ts').CommandSpec | undefined;
}
