/**
 * Quiet windows (issue 18 §3): `/mute` entries in the hot `mutes` collection (ending by themselves: an
 * entry past `until` is ignored and dropped on the next read) and the configured `mute` windows.
 * Distinct from Sentry's ignore and Alertmanager's silence, which act on the remote system: this only
 * stops opsbot's own cards and pages. The alert engine asks `isMuted` for each alert it would post.
 */
import type { Logger } from 'pino';
import { serviceKey } from '../core/feature.ts';
import { activeWindow } from '../oncall/cron-window.ts';
import type { Store } from '../store/types.ts';
import type { MuteWindowConfig } from './config.ts';

/** What an alert is about: its product and/or its source project (a Sentry project slug). */
export interface MuteSubject {
  product?: string | undefined;
  project?: string | undefined;
}

/** Why it is muted: who set it (a person's name, or `config`), the reason and the end. */
export interface MuteHit {
  by: string;
  reason: string;
  until: number;
}

export interface Mute extends MuteHit {
  kind: 'product' | 'project';
  target: string;
  since: number;
  source: 'chat' | 'config';
}

interface StoredMute extends Mute {
  byId: string;
}

export interface MuteService {
  /** The mute covering this alert at `at` (default now), the one lasting longest; undefined: post and page as usual. */
  isMuted(subject: MuteSubject, at?: number): Promise<MuteHit | undefined>;
  /** Mutes in force (for /alerts and /mute without a duration). */
  active(at?: number): Promise<Mute[]>;
  mute(o: { kind: Mute['kind']; target: string; durationMs: number; reason: string; by: { id: string; name: string } }): Promise<Mute>;
  /** Ends a /mute early; returns what was ended. Config windows stay. */
  unmute(o: { kind: Mute['kind']; target: string }): Promise<Mute | undefined>;
}

export const MUTES = serviceKey<MuteService>('mutes', 'mute.error.notConfigured');
export const MUTES_COLLECTION = 'mutes';
const keyOf = (kind: string, target: string) => `${kind}:${target}`;

export function createMuteService(deps: { store: Store; clock: () => number; windows: readonly MuteWindowConfig[]; log?: Logger }): MuteService {
  const col = deps.store.collection<StoredMute>(MUTES_COLLECTION, { tier: 'hot' });
  const strip = ({ byId: _byId, ...m }: StoredMute): Mute => m;

  async function stored(at: number): Promise<Mute[]> {
    const all = await col.list();
    for (const m of all.filter((x) => x.until <= at)) await col.delete(keyOf(m.kind, m.target)).catch((err: unknown) => deps.log?.warn({ err }, 'dropping an ended mute failed'));
    return all.filter((m) => m.since <= at && at < m.until).map(strip);
  }

  function configured(at: number): (Mute & { window: MuteWindowConfig })[] {
    const out: (Mute & { window: MuteWindowConfig })[] = [];
    for (const w of deps.windows) {
      const hit = activeWindow({ cron: w.cron, timezone: w.timezone, durationMs: w.durationHours * 3_600_000 }, at);
      if (!hit) continue;
      const kind = w.product !== undefined ? 'product' : 'project';
      out.push({ kind, target: (w.product ?? w.project)!, by: 'config', reason: w.reason, since: hit.start, until: hit.end, source: 'config', window: w });
    }
    return out;
  }

  const matches = (m: Mute, s: MuteSubject) => (m.kind === 'product' ? m.target === s.product : m.target === s.project);
  const windowMatches = (w: MuteWindowConfig, s: MuteSubject) => (w.product === undefined || w.product === s.product) && (w.project === undefined || w.project === s.project);

  return {
    async isMuted(subject, at = deps.clock()) {
      const hits: Mute[] = [...configured(at).filter((m) => windowMatches(m.window, subject)), ...(await stored(at)).filter((m) => matches(m, subject))];
      const best = hits.sort((a, b) => b.until - a.until)[0];
      return best ? { by: best.by, reason: best.reason, until: best.until } : undefined;
    },
    async active(at = deps.clock()) {
      return [...configured(at).map(({ window: _w, ...m }) => m), ...(await stored(at))].sort((a, b) => a.until - b.until);
    },
    async mute(o) {
      const since = deps.clock();
      const m: StoredMute = { kind: o.kind, target: o.target, reason: o.reason, by: o.by.name, byId: o.by.id, since, until: since + o.durationMs, source: 'chat' };
      await col.put(keyOf(o.kind, o.target), m);
      return strip(m);
    },
    async unmute(o) {
      const key = keyOf(o.kind, o.target);
      const m = await col.get(key);
      if (!m) return undefined;
      await col.delete(key);
      return m.until > deps.clock() ? strip(m) : undefined;
    },
  };
}
