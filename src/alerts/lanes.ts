/** Per-chat, in-memory send bookkeeping of the alert engine (engine.ts): budget window, folding sets. */
export interface Lane {
  sentAt: number[];
  /** card key → last send in this chat (also "posted, in memory"). */
  lastSent: Map<string, number>;
  pendingNew: Set<string>;
  dirty: Set<string>;
  /** Dirty keys that skip the refresh interval (someone acted on them). */
  urgent: Set<string>;
  /** alert key → digest card key it was folded into. */
  digestOf: Map<string, string>;
  digestMembers: Map<string, string[]>;
}

/** An empty lane. */
export function newLane(): Lane {
  return { sentAt: [], lastSent: new Map(), pendingNew: new Set(), dirty: new Set(), urgent: new Set(), digestOf: new Map(), digestMembers: new Map() };
}

/** Drop entries idle for `idleMs` (state.posted in the store still says where cards are). */
export function pruneLane(lane: Lane, now: number, idleMs: number): void {
  for (const [k, at] of lane.lastSent) {
    if (now - at > idleMs && !lane.dirty.has(k) && !lane.digestMembers.has(k)) lane.lastSent.delete(k);
  }
  for (const [dk, members] of lane.digestMembers) {
    if (now - (lane.lastSent.get(dk) ?? 0) > idleMs && !lane.dirty.has(dk)) {
      lane.digestMembers.delete(dk);
      lane.lastSent.delete(dk);
      for (const m of members) if (lane.digestOf.get(m) === dk) lane.digestOf.delete(m);
    }
  }
}
