/**
 * Deploy freezes (issue 18 §4): configured windows (config.ts) and ones set from chat with /freeze,
 * stored in the hot `freezes` collection and ending by themselves (an entry past its `until` is ignored
 * and dropped on the next read). The deploy commands ask `blocking()` through the FREEZES key and
 * never see how a freeze came to be.
 */
import type { Logger } from 'pino';
import { serviceKey } from '../core/feature.ts';
import type { AuditEntry, Store } from '../store/types.ts';
import type { FreezeWindowConfig } from './config.ts';
import { configWindowAt } from './windows.ts';

/** One freeze in force. */
export interface Freeze {
  product: string;
  /** Undefined: every environment of the product. */
  env?: string | undefined;
  reason: string;
  /** Who froze it (a person's name), or `config` for a configured window. */
  by: string;
  since: number;
  until: number;
  source: 'config' | 'chat';
  allowRollback: boolean;
}

/** A stored /freeze. */
interface StoredFreeze extends Freeze {
  byId: string;
}

export interface FreezeService {
  /** Freezes in force at `at` (default now), for one product (and env: the env's own and product-wide ones), else all. */
  active(o?: { product?: string | undefined; env?: string | undefined; at?: number }): Promise<Freeze[]>;
  /** The freeze that stops this deploy or rollback (the one lasting longest), or undefined when it may go. */
  blocking(o: { product: string; env: string; kind: 'deploy' | 'rollback'; at?: number }): Promise<Freeze | undefined>;
  freeze(o: { product: string; env?: string | undefined; durationMs: number; reason: string; by: { id: string; name: string }; allowRollback: boolean }): Promise<Freeze>;
  /** Lifts a /freeze (config windows stay; they are changed in the config). Returns what was lifted. */
  unfreeze(o: { product: string; env?: string | undefined }): Promise<Freeze | undefined>;
  /** An admin went through a freeze: an audit line of its own, next to the dispatcher's line for the command. */
  recordOverride(o: { freeze: Freeze; command: string; actor: string; platform: string; chat: string }): Promise<void>;
}

export const FREEZES = serviceKey<FreezeService>('freezes', 'freeze.error.notConfigured');

export const FREEZES_COLLECTION = 'freezes';
const keyOf = (product: string, env?: string) => `${product}|${env ?? '*'}`;

export function createFreezeService(deps: { store: Store; clock: () => number; windows: readonly FreezeWindowConfig[]; log?: Logger }): FreezeService {
  const col = deps.store.collection<StoredFreeze>(FREEZES_COLLECTION, { tier: 'hot' });
  const covers = (f: Freeze, product?: string, env?: string) =>
    (product === undefined || f.product === product) && (env === undefined || f.env === undefined || f.env === env);

  async function stored(at: number): Promise<Freeze[]> {
    const all = await col.list();
    const expired = all.filter((f) => f.until <= at);
    // Ends by itself: past entries are never in force; dropping them keeps the collection small.
    for (const f of expired) await col.delete(keyOf(f.product, f.env)).catch((err: unknown) => deps.log?.warn({ err }, 'dropping an expired freeze failed'));
    return all.filter((f) => f.since <= at && at < f.until).map(({ byId: _byId, ...f }) => f);
  }

  function configured(at: number): Freeze[] {
    const out: Freeze[] = [];
    for (const w of deps.windows) {
      const hit = configWindowAt(w, at);
      if (hit) out.push({ product: w.product, env: w.env, reason: w.reason, by: 'config', since: hit.start, until: hit.end, source: 'config', allowRollback: w.allowRollback });
    }
    return out;
  }

  const service: FreezeService = {
    async active(o = {}) {
      const at = o.at ?? deps.clock();
      return [...configured(at), ...(await stored(at))].filter((f) => covers(f, o.product, o.env)).sort((a, b) => b.until - a.until);
    },
    async blocking(o) {
      const list = await service.active(o);
      return list.find((f) => o.kind === 'deploy' || !f.allowRollback);
    },
    async freeze(o) {
      const since = deps.clock();
      const f: StoredFreeze = { product: o.product, env: o.env, reason: o.reason, by: o.by.name, byId: o.by.id, since, until: since + o.durationMs, source: 'chat', allowRollback: o.allowRollback };
      await col.put(keyOf(o.product, o.env), f);
      const { byId: _byId, ...out } = f;
      return out;
    },
    async unfreeze(o) {
      const key = keyOf(o.product, o.env);
      const f = await col.get(key);
      if (!f) return undefined;
      await col.delete(key);
      if (f.until <= deps.clock()) return undefined;
      const { byId: _byId, ...out } = f;
      return out;
    },
    async recordOverride(o) {
      const f = o.freeze;
      const entry: AuditEntry = {
        at: new Date(deps.clock()).toISOString(),
        actor: o.actor,
        platform: o.platform,
        chat: o.chat,
        command: o.command,
        outcome: 'ok',
        detail: `freeze override: ${f.product}${f.env ? ' ' + f.env : ''} frozen by ${f.by} until ${new Date(f.until).toISOString()} (${f.reason})`,
      };
      await deps.store.audit(entry);
    },
  };
  return service;
}
