/** A small bounded set of recently seen ids (msgId / frame messageId) on top of the bot's own dedupe. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 1000) {}

  /** True the first time an id is seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}
