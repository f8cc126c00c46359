/**
 * On-call rotations as a feature: on with an `oncall:` section. Provides ONCALL (who is on duty, for
 * /oncall and for paging through the schedule) and posts the handoff card at each handoff. The list of
 * open items on that card comes from `openItems` when given, else from whichever feature provides
 * OPEN_ITEMS (looked up at each handoff), else it is empty.
 */
import { oncallCommands } from '../../commands/index.ts';
import type { Config } from '../config/schema.ts';
import { defineFeature, provide, type Feature } from '../core/feature.ts';
import { t as translate } from '../core/i18n.ts';
import { handoffJobs, OPEN_ITEMS, type OpenItemsSource } from './handoff.ts';
import { oncallMessages } from './messages.ts';
import { createOncallService, ONCALL } from './service.ts';

/** Config references the schema cannot see (people, schedules): a typo fails the start, not a page at 3 am. */
export function oncallConfigProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const [id, s] of Object.entries(config.oncall)) {
    for (const p of [...s.members, ...(s.secondary ?? [])]) if (!config.people[p]) problems.push(`oncall.${id}: unknown person "${p}" (not under people)`);
  }
  for (const [id, team] of Object.entries(config.teams)) {
    if (team.oncall && !config.oncall[team.oncall]) problems.push(`teams.${id}.oncall: no schedule "${team.oncall}" under oncall (have: ${Object.keys(config.oncall).join(', ') || '-'})`);
  }
  return problems;
}

export function createOncallFeature(o: { openItems?: OpenItemsSource } = {}): Feature {
  return defineFeature({
    name: 'oncall',
    commands: oncallCommands,
    messages: oncallMessages,
    enabled: (config) => Object.keys(config.oncall).length > 0,
    setup(deps) {
      const problems = oncallConfigProblems(deps.config);
      if (problems.length) throw new Error(`on-call config: ${problems.join('; ')}`);
      const oncall = createOncallService(deps);
      const { config } = deps;
      const jobs = handoffJobs({
        timers: deps.coordination.timers,
        oncall,
        outbox: deps.outbox,
        people: deps.people,
        products: (teams) => Object.entries(config.products).filter(([, p]) => p.team !== undefined && teams.includes(p.team)).map(([id]) => id),
        openItems: () => o.openItems ?? deps.services.get(OPEN_ITEMS),
        clock: deps.clock,
        log: deps.log.child({ feature: 'oncall' }),
        t: (key, vars) => translate(deps.locale, key, vars),
        name: (id) => (id === undefined ? translate(deps.locale, 'oncall.card.nobody') : (config.people[id]?.name ?? id)),
      });
      return { provides: [provide(ONCALL, oncall)], start: () => jobs.arm() };
    },
  });
}

export const oncallFeature = createOncallFeature();
