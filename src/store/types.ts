/**
 * The storage seam. Nothing outside src/store touches lowdb (or, later, pg). Callers see keyed
 * collections of JSON documents, append-only task logs and the audit log; a Postgres driver maps a
 * collection to a table `(collection, key, doc jsonb, updated_at)` with row locks behind `update`.
 */
import type { StorageHealth } from '../core/storage-health.ts';

/** Where a collection lives: `hot` state is small and rewritten often; `bulk` is append-mostly with retention. */
export type Tier = 'hot' | 'bulk';

export interface CollectionOptions {
  tier: Tier;
  /** bulk only: keep at most this many documents (oldest dropped first). */
  maxItems?: number;
  /** bulk only: drop documents older than this (by insertion time). */
  maxAgeMs?: number;
  /**
   * bulk only: retention never drops a document whose top-level `field` equals `equals` (a webhook
   * delivery acknowledged but not processed yet: dropping it would lose the alert it carries).
   */
  keepWhile?: { field: string; equals: string };
}

/** A keyed set of JSON documents. Every mutating call resolves once the change is durable on disk. */
export interface Collection<T> {
  get(key: string): Promise<T | undefined>;
  /** Insert or replace. */
  put(key: string, value: T): Promise<void>;
  /** Insert only if the key is new; true when inserted (the dedupe primitive). */
  insertIfAbsent(key: string, value: T): Promise<boolean>;
  /**
   * Read-modify-write under the collection's lock: `fn` gets the current value (or undefined) and
   * returns the new one (or undefined to delete). Returns the stored value.
   */
  update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined>;
  delete(key: string): Promise<boolean>;
  /** Documents in insertion order, optionally filtered; `limit` takes from the newest end when `newestFirst`. */
  list(options?: { filter?: (value: T) => boolean; limit?: number; newestFirst?: boolean }): Promise<T[]>;
  count(): Promise<number>;
}

/** One line of the audit log: who ran what, from where, and what came of it. */
export interface AuditEntry {
  at: string;
  actor: string;
  platform: string;
  chat: string;
  command: string;
  outcome: 'ok' | 'denied' | 'usage' | 'error' | 'proposed' | 'cancelled';
  detail?: string;
}

export interface Store {
  readonly driver: 'lowdb' | 'memory' | 'postgres';
  /** Whether durable writes currently succeed (/healthz, /metrics); absent: a store that cannot fail. */
  readonly health?: StorageHealth;
  init(): Promise<void>;
  /** Flush pending writes and release files/connections. */
  close(): Promise<void>;
  collection<T>(name: string, options: CollectionOptions): Collection<T>;
  /** Monotonic counter (task ids): returns the next value, durable before it resolves. */
  nextSequence(name: string): Promise<number>;
  /** Task logs are append-only files, not JSON documents. */
  appendLog(taskId: string, lines: string[]): Promise<void>;
  readLog(taskId: string, options?: { tail?: number }): Promise<string[]>;
  audit(entry: AuditEntry): Promise<void>;
  listAudit(options?: { limit?: number }): Promise<AuditEntry[]>;
}
