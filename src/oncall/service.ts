/**
 * The ONCALL service (issue 18 §1): who is on duty for a team, schedule or product at an instant, who is
 * next and when that changes, from the rotation (rotation.ts) with swaps and overrides on top
 * (overrides.ts). Paging through the schedule (§2) asks `whoIsOnCall`; the handoff card (handoff.ts) too.
 */
import type { Config } from '../config/schema.ts';
import { serviceKey } from '../core/feature.ts';
import type { Store } from '../store/types.ts';
import type { ScheduleConfig } from './config.ts';
import { overrideAt, OverrideStore, type Layer, type OncallOverride } from './overrides.ts';
import { memberFor, shiftAt, type Shift } from './rotation.ts';

export interface OnCallNow {
  schedule: string;
  timezone: string;
  /** Person ids (under `people`); undefined before the first shift or on a layer the schedule lacks. */
  primary?: string | undefined;
  secondary?: string | undefined;
  /** Who is primary (and secondary) after `handoffAt`. */
  next?: string | undefined;
  nextSecondary?: string | undefined;
  /** The next change of duty: the rotation's handoff, or an override's start or end if sooner. */
  handoffAt: number;
  /** The rotation's own shift (handoff to handoff). */
  shift: Shift;
  /** Overrides in effect, by layer. */
  overrides: Partial<Record<Layer, OncallOverride>>;
}

export interface OncallService {
  /** A team (its `oncall`), a schedule, or a product (its team's schedule) → the schedule's name. */
  scheduleFor(name: string): string | undefined;
  schedules(): string[];
  schedule(name: string): ScheduleConfig | undefined;
  whoIsOnCall(teamOrSchedule: string, at?: number): Promise<OnCallNow | undefined>;
  addOverride(o: Omit<OncallOverride, 'id' | 'createdAt'>): Promise<OncallOverride>;
  /** The teams whose `oncall` names this schedule, and their chats (where the handoff card goes). */
  teamsOf(schedule: string): string[];
  chatsOf(schedule: string): string[];
}

export const ONCALL = serviceKey<OncallService>('oncall', 'oncall.error.notConfigured');

export function createOncallService(deps: { config: Config; store: Store; clock: () => number }): OncallService {
  const { config } = deps;
  const overrides = new OverrideStore(deps.store);
  const schedules = config.oncall;

  const service: OncallService = {
    scheduleFor(name) {
      // Own keys only: the name is typed in chat or taken from an alert's labels (`constructor` is no team).
      const own = <T>(o: Record<string, T>, k: string | undefined): T | undefined => (k !== undefined && Object.hasOwn(o, k) ? o[k] : undefined);
      if (own(schedules, name)) return name;
      const team = own(config.teams, name) ?? own(config.teams, own(config.products, name)?.team);
      return team?.oncall && own(schedules, team.oncall) ? team.oncall : undefined;
    },
    schedules: () => Object.keys(schedules),
    schedule: (name) => schedules[name],
    async whoIsOnCall(name, at = deps.clock()) {
      const id = service.scheduleFor(name);
      const s = id ? schedules[id] : undefined;
      if (!id || !s) return undefined;
      const list = await overrides.pending(id, at);
      const shift = shiftAt(s, at);
      const who = (t: number, sh: Shift = shiftAt(s, t)) => ({
        primary: overrideAt(list, 'primary', t)?.person ?? memberFor(s.members, sh.index),
        secondary: overrideAt(list, 'secondary', t)?.person ?? memberFor(s.secondary, sh.index),
      });
      // The next change: the handoff, or the start or end of an override before it.
      let handoffAt = shift.end;
      for (const o of list) {
        if (o.from > at && o.from < handoffAt) handoffAt = o.from;
        if (o.from <= at && o.to < handoffAt) handoffAt = o.to;
      }
      const now = who(at, shift);
      const then = Number.isFinite(handoffAt) ? who(handoffAt) : { primary: undefined, secondary: undefined };
      const inEffect: Partial<Record<Layer, OncallOverride>> = {};
      for (const layer of ['primary', 'secondary'] as const) {
        const o = overrideAt(list, layer, at);
        if (o) inEffect[layer] = o;
      }
      return { schedule: id, timezone: s.timezone, ...now, next: then.primary, nextSecondary: then.secondary, handoffAt, shift, overrides: inEffect };
    },
    addOverride: (o) => overrides.add({ ...o, createdAt: deps.clock() }),
    teamsOf: (schedule) => Object.entries(config.teams).filter(([, t]) => t.oncall === schedule).map(([id]) => id),
    chatsOf: (schedule) => [...new Set(service.teamsOf(schedule).flatMap((t) => config.teams[t]?.chats ?? []))],
  };
  return service;
}
