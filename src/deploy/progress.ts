/**
 * Progress cards: one card per task (cardKey `task:<id>`), sent at once on a state change and at
 * most once per `throttleMs` for log-driven updates (issue 4 §6: a chatty script must not flood the
 * platform). Sends of one task are serialized so cards never go out of order.
 */
export class ProgressThrottle {
  private readonly last = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly throttleMs: number,
    private readonly clock: () => number,
    private readonly sendNow: (taskId: string) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** A state change: send now (cancelling any pending coalesced update). */
  force(taskId: string): Promise<void> {
    this.clearTimer(taskId);
    return this.enqueue(taskId);
  }

  /** New log lines: send now if the window has passed, else once at its end. */
  touch(taskId: string): void {
    if (this.timers.has(taskId)) return;
    const wait = (this.last.get(taskId) ?? -Infinity) + this.throttleMs - this.clock();
    if (wait <= 0) {
      void this.enqueue(taskId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(taskId);
      void this.enqueue(taskId);
    }, wait);
    timer.unref();
    this.timers.set(taskId, timer);
  }

  /** Forget a finished task (after its final card). */
  done(taskId: string): void {
    this.clearTimer(taskId);
    this.last.delete(taskId);
  }

  stop(): void {
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
  }

  /** Resolves when every queued send has run. */
  async drain(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private enqueue(taskId: string): Promise<void> {
    this.last.set(taskId, this.clock());
    const prev = this.chains.get(taskId) ?? Promise.resolve();
    const next = prev.then(() => this.sendNow(taskId)).catch(this.onError);
    this.chains.set(taskId, next);
    void next.then(() => {
      if (this.chains.get(taskId) === next) this.chains.delete(taskId);
    });
    return next;
  }

  private clearTimer(taskId: string): void {
    const t = this.timers.get(taskId);
    if (t) clearTimeout(t);
    this.timers.delete(taskId);
  }
}
