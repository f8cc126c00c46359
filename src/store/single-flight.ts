/**
 * One write in flight at a time; every change requested meanwhile rides on the next write, and each
 * requester resolves once a write that started after its request has finished (packages.md §4: batching
 * turns 1 000 concurrent lowdb updates from ~22 s into ~0.1 s).
 */
export class SingleFlight {
  private dirty = false;
  private flushing: Promise<void> | null = null;
  private waiters: [() => void, (e: unknown) => void][] = [];

  /** `write` persists the current state (it may take whatever is pending at the moment it runs). */
  constructor(private readonly write: () => Promise<void>) {}

  request(): Promise<void> {
    this.dirty = true;
    const p = new Promise<void>((res, rej) => this.waiters.push([res, rej]));
    this.kick();
    return p;
  }

  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        const ws = this.waiters.splice(0);
        try {
          await this.write();
          for (const [r] of ws) r();
        } catch (e) {
          for (const [, j] of ws) j(e);
        }
      }
      this.flushing = null;
    })();
  }
}
