/**
 * Whether the store can currently make writes durable. The store drivers report each durable write's
 * outcome here; /healthz and /metrics read it (server.ts). While failing, a probe (a tiny write the
 * driver supplies) is tried at most once a second from /healthz, so the bot notices recovery even when
 * no traffic arrives: an orchestrator that stops routing to a degraded replica would otherwise never see
 * it heal.
 */
import { StorageUnavailableError } from './errors.ts';

export class StorageHealth {
  private failing = false;
  private lastError: string | undefined;
  private probe: (() => Promise<void>) | undefined;
  private lastProbeAt = 0;
  private readonly failureListeners: ((err: unknown) => void)[] = [];

  constructor(private readonly clock: () => number = Date.now) {}

  get healthy(): boolean {
    return !this.failing;
  }

  get reason(): string | undefined {
    return this.failing ? this.lastError : undefined;
  }

  /** The driver's probe: a small durable write that throws while storage fails. */
  setProbe(probe: () => Promise<void>): void {
    this.probe = probe;
  }

  onFailure(fn: (err: unknown) => void): void {
    this.failureListeners.push(fn);
  }

  failed(err: unknown): void {
    this.failing = true;
    this.lastError = describe(err);
    for (const fn of this.failureListeners) fn(err);
  }

  succeeded(): void {
    this.failing = false;
    this.lastError = undefined;
  }

  /** Run `write` and record its outcome; a failure is rethrown as StorageUnavailableError (→ 503). */
  async guard<R>(write: () => Promise<R>, isStorageFailure: (err: unknown) => boolean = () => true): Promise<R> {
    try {
      const r = await write();
      this.succeeded();
      return r;
    } catch (err) {
      if (!isStorageFailure(err)) throw err;
      this.failed(err);
      throw new StorageUnavailableError(describe(err), { cause: err });
    }
  }

  /** Current health; while failing, re-probes (rate-limited) so recovery shows without traffic. */
  async check(): Promise<boolean> {
    if (!this.failing || !this.probe) return !this.failing;
    const now = this.clock();
    if (now - this.lastProbeAt < 1000) return false;
    this.lastProbeAt = now;
    try {
      await this.probe();
      this.succeeded();
    } catch (err) {
      this.lastError = describe(err);
    }
    return !this.failing;
  }
}

function describe(err: unknown): string {
  if (err instanceof StorageUnavailableError) return err.message.replace(/^storage unavailable: /, '');
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
