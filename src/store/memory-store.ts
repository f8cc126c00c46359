/**
 * In-memory Store for unit tests and benches: same semantics as the lowdb store, nothing on disk.
 */
import type { AuditEntry, Collection, CollectionOptions, Store } from './types.ts';

interface Entry<T> {
  value: T;
  insertedAt: number;
}

/** A collection backed by a Map (insertion-ordered), with the bulk-tier retention rules applied on insert. */
export class MemoryCollection<T> implements Collection<T> {
  readonly entries = new Map<string, Entry<T>>();
  /** Inserts whose durable write is in flight, by key. */
  private readonly inserting = new Map<string, Promise<void>>();

  constructor(
    readonly options: CollectionOptions,
    /** Called after each mutation with the key it touched (the lowdb store persists from it). */
    private readonly onChange: (key: string) => Promise<void> = async () => {},
  ) {
    const k = options.keepWhile;
    this.kept = k ? (v) => (v as Record<string, unknown> | undefined)?.[k.field] === k.equals : () => false;
  }

  /** Whether retention must keep this document (options.keepWhile). */
  private readonly kept: (value: T) => boolean;

  async get(key: string): Promise<T | undefined> {
    return this.entries.get(key)?.value;
  }

  async put(key: string, value: T): Promise<void> {
    const prev = this.entries.get(key);
    const next = { value, insertedAt: prev?.insertedAt ?? Date.now() };
    this.entries.set(key, next);
    await this.commit(key, prev, next);
  }

  /**
   * The dedupe primitive: a key is only reported present once its insert is durable. A second insert of a
   * key whose first write is still in flight waits for that write: if it fails (ENOSPC), the first one's
   * entry is rolled back and this one tries again, so a retry of a delivery we answered 503 is never a
   * "duplicate" of nothing.
   */
  async insertIfAbsent(key: string, value: T): Promise<boolean> {
    for (let p = this.inserting.get(key); p; p = this.inserting.get(key)) await p.catch(() => undefined);
    if (this.entries.has(key)) return false;
    const next = { value, insertedAt: Date.now() };
    this.entries.set(key, next);
    const done = this.commit(key, undefined, next);
    this.inserting.set(key, done);
    try {
      await done;
    } finally {
      if (this.inserting.get(key) === done) this.inserting.delete(key);
    }
    return true;
  }

  async update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    const prev = this.entries.get(key);
    const value = fn(prev?.value);
    const next = value === undefined ? undefined : { value, insertedAt: prev?.insertedAt ?? Date.now() };
    if (next) this.entries.set(key, next);
    else this.entries.delete(key);
    await this.commit(key, prev, next);
    return value;
  }

  async delete(key: string): Promise<boolean> {
    const prev = this.entries.get(key);
    if (!prev) return false;
    this.entries.delete(key);
    await this.commit(key, prev, undefined);
    return true;
  }

  /**
   * Persist the change to `key` (onChange); when that fails, put back what was there before, so memory
   * never holds what the disk does not (a failed write leaves no trace). Only if nobody changed the key
   * since: a later change owns it then. Retention runs after the write, so a failed insert evicts nothing.
   */
  private async commit(key: string, prev: Entry<T> | undefined, next: Entry<T> | undefined): Promise<void> {
    try {
      await this.onChange(key);
    } catch (err) {
      if (this.entries.get(key) === next) {
        if (prev) this.entries.set(key, prev);
        else this.entries.delete(key);
      }
      throw err;
    }
    this.retain();
  }

  async list(options: { filter?: (value: T) => boolean; limit?: number; newestFirst?: boolean } = {}): Promise<T[]> {
    let values = [...this.entries.values()].map((e) => e.value);
    if (options.newestFirst) values.reverse();
    if (options.filter) values = values.filter(options.filter);
    return options.limit === undefined ? values : values.slice(0, options.limit);
  }

  async count(): Promise<number> {
    return this.entries.size;
  }

  /** While kept documents fill the front, the next count-trim waits until the collection is this big. */
  private trimAt = 0;

  /**
   * Bulk retention: drop the oldest beyond maxItems, and anything older than maxAgeMs, never a document
   * `keepWhile` protects. Kept ones at the front are stepped over; after a trim that had to step over
   * some, the next waits for maxItems/10 more inserts, so a backlog of them is not rescanned per insert.
   */
  private retain(): void {
    const { maxItems, maxAgeMs } = this.options;
    const kept = this.kept;
    if (maxAgeMs !== undefined) {
      const cutoff = Date.now() - maxAgeMs;
      for (const [k, e] of this.entries) {
        if (e.insertedAt >= cutoff) break;
        if (!kept(e.value)) this.entries.delete(k);
      }
    }
    if (maxItems !== undefined && this.entries.size > Math.max(maxItems, this.trimAt)) {
      let skipped = 0;
      for (const [k, e] of this.entries) {
        if (this.entries.size <= maxItems) break;
        if (kept(e.value)) skipped++;
        else this.entries.delete(k);
      }
      this.trimAt = skipped > 0 ? this.entries.size + Math.max(1, Math.floor(maxItems / 10)) : 0;
    }
  }

  /** The stored entry of a key (for persistence). */
  entry(key: string): { value: T; insertedAt: number } | undefined {
    return this.entries.get(key);
  }

  /** For persistence: [key, value, insertedAt] triples. */
  dump(): [string, T, number][] {
    return [...this.entries].map(([k, e]) => [k, e.value, e.insertedAt]);
  }

  load(rows: [string, T, number][]): void {
    this.entries.clear();
    for (const [k, v, at] of rows) this.entries.set(k, { value: v, insertedAt: at });
  }
}

export class MemoryStore implements Store {
  readonly driver: Store['driver'] = 'memory';
  protected readonly collections = new Map<string, MemoryCollection<unknown>>();
  protected readonly sequences = new Map<string, number>();
  protected readonly logs = new Map<string, string[]>();
  protected readonly auditLog: AuditEntry[] = [];

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  collection<T>(name: string, options: CollectionOptions): Collection<T> {
    let c = this.collections.get(name);
    if (!c) {
      c = new MemoryCollection<unknown>(options);
      this.collections.set(name, c);
    }
    return c as MemoryCollection<T>;
  }

  async nextSequence(name: string): Promise<number> {
    const n = (this.sequences.get(name) ?? 0) + 1;
    this.sequences.set(name, n);
    return n;
  }

  async appendLog(taskId: string, lines: string[]): Promise<void> {
    const l = this.logs.get(taskId) ?? [];
    l.push(...lines);
    this.logs.set(taskId, l);
  }

  async readLog(taskId: string, options: { tail?: number } = {}): Promise<string[]> {
    const l = this.logs.get(taskId) ?? [];
    return options.tail === undefined ? [...l] : l.slice(-options.tail);
  }

  async audit(entry: AuditEntry): Promise<void> {
    this.auditLog.push(entry);
  }

  async listAudit(options: { limit?: number } = {}): Promise<AuditEntry[]> {
    const all = [...this.auditLog].reverse();
    return options.limit === undefined ? all : all.slice(0, options.limit);
  }
}
