/** What the DingTalk sender (send.ts) is given: the app config and client, storage, robots, people, quota. */
import type { Logger } from 'pino';
import type { Person } from '../../config/schema.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Collection } from '../../store/types.ts';
import type { CardRecord } from './card-records.ts';
import type { DingtalkClient } from './client.ts';
import type { DingtalkConfig } from './config.ts';
import type { DingtalkQuota } from './quota.ts';
import type { DingtalkRobots } from './robot.ts';

export interface SenderOptions {
  config: DingtalkConfig;
  client: DingtalkClient;
  log: Logger;
  cards?: Collection<CardRecord>;
  clock?: () => number;
  /**
   * false: never send interactive cards (markdown with typed commands instead). HTTP mode starts with
   * this until its card callback is registered (`httpCardCallback`): a card whose clicks reach nobody
   * is worse than typed commands.
   */
  interactiveCards?: boolean;
  /** The bot's reply language (the "truncated" marker, the type-the-command hint); unset = bilingual marker. */
  locale?: Locale;
  /** false: no app configured (robots only); `dingtalk:` addresses then fail permanently. */
  appEnabled?: boolean;
  /** Custom robots (`dingtalk-robot:<name>`, and a group's robot when only the OpenAPI is left). */
  robots?: DingtalkRobots;
  /** `people`, to name who should have been notified where an @ cannot reach. */
  people?: Record<string, Person>;
  /** Robot actionCards: the URL that runs a command (from server.publicUrl); unset: typed commands. */
  commandUrl?: (command: string) => string;
  /** The monthly OpenAPI budget (quota.ts): throttles card refreshes when low, robots take over at 0. */
  quota?: DingtalkQuota;
}
