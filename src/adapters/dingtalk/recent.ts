/**
 * A small bounded set of recently seen ids (msgId / frame messageId / click keys) on top of the bot's
 * own dedupe. With `ttlMs`, an id may be seen again once that long has passed.
 */
export class RecentIds {
  private readonly ids = new Map<string, number>();
  constructor(
    private readonly max = 1000,
    private readonly ttlMs = Number.POSITIVE_INFINITY,
  ) {}

  /** True when the id is new (or its previous sighting is older than the TTL). */
  add(id: string, now: number = Date.now()): boolean {
    const seen = this.ids.get(id);
    if (seen !== undefined && now - seen < this.ttlMs) return false;
    this.ids.delete(id);
    this.ids.set(id, now);
    if (this.ids.size > this.max) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  /** Forget an id (its processing failed, so a redelivery should be accepted). */
  delete(id: string): void {
    this.ids.delete(id);
  }
}
