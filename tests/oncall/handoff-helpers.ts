/** Shared setup of the handoff tests: one schedule, one team chat, handoffJobs over a given Timers. */
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { t as translate } from '../../src/core/i18n.ts';
import type { OutgoingMessage } from '../../src/core/message.ts';
import { People } from '../../src/core/people.ts';
import type { Timers } from '../../src/core/timers.ts';
import { handoffJobs, type OpenItemsSource } from '../../src/oncall/handoff.ts';
import { oncallMessages } from '../../src/oncall/messages.ts';
import { createOncallService } from '../../src/oncall/service.ts';
import { registerMessages } from '../../src/core/i18n.ts';
import { PLATFORM_IDENTITIES } from '../../src/platforms.ts';
import type { Store } from '../../src/store/types.ts';

registerMessages(oncallMessages);

export const handoffYaml = (handoff: string, start: string) => `
locale: en
people:
  alice: { name: Alice }
  bob: { name: Bob }
teams:
  payments: { chats: ["test:team"], oncall: pay }
products:
  demo: { team: payments, components: [a] }
oncall:
  pay:
    timezone: UTC
    rotation: { every: day, handoff: "${handoff}", start: "${start}" }
    members: [alice, bob]
`;

export function handoffSetup(o: { yaml: string; store: Store; timers: Timers; clock: () => number; openItems?: OpenItemsSource }) {
  const { config } = loadConfig({ file: 't.yaml', text: o.yaml, env: {} });
  const oncall = createOncallService({ config, store: o.store, clock: o.clock });
  const sent: OutgoingMessage[] = [];
  const seenProducts: string[][] = [];
  const jobs = handoffJobs({
    timers: o.timers,
    oncall,
    outbox: { send: async (m) => void sent.push(m) },
    people: new People(config, PLATFORM_IDENTITIES),
    products: (teams) => {
      const ps = Object.entries(config.products).filter(([, p]) => p.team && teams.includes(p.team)).map(([id]) => id);
      seenProducts.push(ps);
      return ps;
    },
    openItems: () => o.openItems,
    clock: o.clock,
    log: pino({ level: 'silent' }),
    t: (k, v) => translate('en', k, v),
    name: (id) => (id ? (config.people[id]?.name ?? id) : '-'),
  });
  return { jobs, sent, oncall, seenProducts };
}
