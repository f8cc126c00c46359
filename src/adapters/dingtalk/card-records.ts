/**
 * The interactive cards this adapter delivered: by `cardKey` per chat (to update a card in place) and by
 * `outTrackId` (to route a click back to its chat). Kept in memory and, when a Collection is given, in the
 * store, so updates and clicks still find their card after a restart.
 */
import type { Collection } from '../../store/types.ts';

/** A delivered interactive card (persisted when a Collection is given). */
export interface CardRecord {
  outTrackId: string;
  chat: string;
  chatType: 'group' | 'direct';
  cardKey?: string;
  /** Hash of the last params sent, to skip no-op updates. */
  hash: string;
  /** When the card was last created or updated (ms): low-quota refreshes are throttled by it. */
  at?: number;
}

export class CardRecords {
  private readonly keyed = new Map<string, CardRecord>();
  private readonly tracked = new Map<string, CardRecord>();

  constructor(private readonly store?: Collection<CardRecord>) {}

  /** `key:<chat>|<cardKey>` → the card sent under that key. */
  async byKey(mapKey: string): Promise<CardRecord | undefined> {
    return this.keyed.get(mapKey) ?? (await this.store?.get(mapKey));
  }

  async byTrack(outTrackId: string): Promise<CardRecord | undefined> {
    return this.tracked.get(outTrackId) ?? (await this.store?.get(`track:${outTrackId}`));
  }

  async remember(mapKey: string | undefined, rec: CardRecord): Promise<void> {
    if (mapKey) this.keyed.set(mapKey, rec);
    this.tracked.set(rec.outTrackId, rec);
    if (this.store) {
      if (mapKey) await this.store.put(mapKey, rec);
      await this.store.put(`track:${rec.outTrackId}`, rec);
    }
  }
}
