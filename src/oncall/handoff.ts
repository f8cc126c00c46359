/**
 * The handoff card (issue 18 §1 "at each handoff a card in the team's chat says who takes over and lists
 * what is still open and unacknowledged"). Each handoff is one durable timer keyed
 * `oncall:handoff:<schedule>:<epoch ms>` (core/timers.ts): every replica arms the next one at start and
 * after each run, the key makes that idempotent, so the card goes out exactly once across replicas
 * (PgTimers), the same pattern as core/periodic.ts with the slots taken from the rotation.
 */
import type { Logger } from 'pino';
import { handoffCard, type NameOf } from '../../cards/oncall.ts';
import { serviceKey } from '../core/feature.ts';
import { cardReply } from '../core/message.ts';
import type { People } from '../core/people.ts';
import type { Outbox } from '../core/services.ts';
import type { Timers } from '../core/timers.ts';
import type { Translate } from '../../cards/translate.ts';
import { shiftAt } from './rotation.ts';
import type { OncallService } from './service.ts';

/** Something still open and unacknowledged at a handoff (an alert), as the card lists it. */
export interface OpenItem {
  source: string;
  title: string;
  url?: string | undefined;
  since?: number | undefined;
}

/** Open, unacknowledged items of these teams and products. Default: none (the alert engine plugs in). */
export type OpenItemsSource = (q: { schedule: string; teams: string[]; products: string[] }) => Promise<OpenItem[]>;

/** A feature listed anywhere may provide this; it is looked up at each handoff, so list order does not matter. */
export const OPEN_ITEMS = serviceKey<OpenItemsSource>('oncall.openItems');

export const HANDOFF_TIMER = 'oncall:handoff';
/** A handoff more than this late (the bot was down) is not announced any more; the next one is armed. */
const STALE_MS = 3_600_000;

export interface HandoffDeps {
  timers: Timers;
  oncall: OncallService;
  outbox: Outbox;
  people: People;
  products: (teams: string[]) => string[];
  openItems: () => OpenItemsSource | undefined;
  clock: () => number;
  log: Logger;
  t: Translate;
  name: NameOf;
}

const keyOf = (schedule: string, at: number) => `${HANDOFF_TIMER}:${schedule}:${at}`;

export function handoffJobs(d: HandoffDeps): { arm(): Promise<void> } {
  const armAfter = async (schedule: string, after: number) => {
    const s = d.oncall.schedule(schedule);
    if (!s) return;
    const at = shiftAt(s, after).end;
    if (!Number.isFinite(at)) return;
    await d.timers.schedule({ kind: HANDOFF_TIMER, key: keyOf(schedule, at), at, payload: { schedule, at } });
  };

  async function announce(schedule: string, at: number): Promise<void> {
    const chats = d.oncall.chatsOf(schedule);
    if (chats.length === 0 || d.clock() - at > STALE_MS) return;
    const now = await d.oncall.whoIsOnCall(schedule, at);
    if (!now) return;
    const before = await d.oncall.whoIsOnCall(schedule, at - 1);
    const teams = d.oncall.teamsOf(schedule);
    let items: OpenItem[] = [];
    try {
      items = (await d.openItems()?.({ schedule, teams, products: d.products(teams) })) ?? [];
    } catch (err) {
      // The card still says who takes over; the list is best effort.
      d.log.warn({ err, schedule }, 'reading open items for the handoff card failed');
    }
    const card = handoffCard(now, { previous: before?.primary, name: d.name, items }, d.t);
    for (const chat of chats) {
      const mentions = now.primary ? d.people.mentionsFor(chat, [now.primary]) : [];
      await d.outbox.send({ to: chat, reply: cardReply(card), ...(mentions.length ? { mentions } : {}) });
    }
  }

  d.timers.on(HANDOFF_TIMER, async (payload) => {
    const p = payload as { schedule?: unknown; at?: unknown };
    if (typeof p.schedule !== 'string' || typeof p.at !== 'number') return;
    try {
      await announce(p.schedule, p.at);
    } finally {
      // Armed even when the card failed (the timer retries this one; the next must exist regardless).
      await armAfter(p.schedule, p.at);
    }
  });

  return {
    async arm() {
      for (const s of d.oncall.schedules()) await armAfter(s, d.clock());
    },
  };
}
