/**
 * Swaps and overrides of a schedule (issue 18 §1), stored in the hot `oncall-overrides` collection:
 * `person` is on duty on `layer` from `from` until `to`, in place of whoever the rotation names. They
 * end by themselves (an entry is only read while `from <= at < to`); old ones are pruned on write.
 */
import { randomBytes } from 'node:crypto';
import type { Collection, Store } from '../store/types.ts';

export type Layer = 'primary' | 'secondary';

export interface OncallOverride {
  id: string;
  schedule: string;
  layer: Layer;
  person: string;
  /** Who the rotation (or an earlier override) had on duty when it was made, for the card. */
  replaces?: string | undefined;
  from: number;
  to: number;
  kind: 'swap' | 'override';
  /** Who made it (person id or platform identity). */
  by: string;
  createdAt: number;
}

export const OVERRIDES_COLLECTION = 'oncall-overrides';
/** Ended overrides are kept this long (for "who was on call" questions) before they are pruned. */
const KEEP_ENDED_MS = 30 * 86_400_000;

export class OverrideStore {
  private readonly col: Collection<OncallOverride>;

  constructor(store: Store) {
    this.col = store.collection<OncallOverride>(OVERRIDES_COLLECTION, { tier: 'hot' });
  }

  async add(o: Omit<OncallOverride, 'id'>): Promise<OncallOverride> {
    const entry: OncallOverride = { ...o, id: randomBytes(4).toString('hex') };
    await this.col.put(entry.id, entry);
    for (const old of await this.col.list({ filter: (x) => x.to < o.createdAt - KEEP_ENDED_MS })) await this.col.delete(old.id);
    return entry;
  }

  /** Overrides of `schedule` that have not ended by `at` (in effect now or later), oldest first. */
  async pending(schedule: string, at: number): Promise<OncallOverride[]> {
    return (await this.col.list({ filter: (x) => x.schedule === schedule && x.to > at })).sort((a, b) => a.createdAt - b.createdAt);
  }
}

/** The override in effect on `layer` at `at` (the latest made wins), if any. */
export function overrideAt(list: readonly OncallOverride[], layer: Layer, at: number): OncallOverride | undefined {
  let hit: OncallOverride | undefined;
  for (const o of list) if (o.layer === layer && o.from <= at && at < o.to && (!hit || o.createdAt >= hit.createdAt)) hit = o;
  return hit;
}
