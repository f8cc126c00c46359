/**
 * The embedded Store: lowdb JSON files in the data directory. The only module that imports lowdb.
 *
 * - One `Low` (one writer) per file: two instances on one file lose writes (packages.md §4).
 * - Hot state (tasks, confirmations, alert state, sequences) lives in `state.json`; each bulk
 *   collection (deliveries, seen chat messages, audit) gets its own file with retention, so a storm
 *   of webhooks never makes the hot file slow to rewrite.
 * - Writes are batched single-flight (packages.md §4): mutate in memory, then one write carries every
 *   change made meanwhile; each caller resolves once its change is on disk (steno: tmp file + rename,
 *   atomic against a crash).
 * - We build `Low` on `DataFile` directly, never `JSONFilePreset`, which silently switches to memory
 *   under NODE_ENV=test (packages.md §3.6).
 * - Task logs are append-only text files under `logs/`.
 * - Every durable write reports to `health` (storage-health.ts); a failed one (disk full) rejects with
 *   StorageUnavailableError after the collection rolled its change back, so the caller answers 503.
 */
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { z } from 'zod';
import { StorageHealth } from '../core/storage-health.ts';
import { JournalFile, type JournalOptions } from './journal-file.ts';
import { MemoryCollection } from './memory-store.ts';
import { SingleFlight } from './single-flight.ts';
import type { AuditEntry, Collection, CollectionOptions, Store } from './types.ts';
import type { WriteFaults } from './write-faults.ts';

interface FileData {
  collections: Record<string, [string, unknown, number][]>;
  sequences: Record<string, number>;
}

// state.json is read back from disk, outside our control: its shape is checked (style: zod at boundaries).
const fileDataSchema = z.object({
  collections: z.record(z.string(), z.array(z.tuple([z.string(), z.unknown(), z.number()]))).default({}),
  sequences: z.record(z.string(), z.number()).default({}),
});

/**
 * state.json cannot be used. Start-up stops (tasks, confirmations and alert state live there: starting
 * empty over them silently would lose them); the message names the file and what the operator can do.
 */
export class StateFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(
      `cannot read the state file ${file}: ${reason}. ` +
        `Restore it from a backup or from a copy you moved aside, or move it away (mv ${file} ${file}.corrupt) ` +
        `to start with empty state (deploy tasks, pending confirmations, alert state and sequence numbers are then lost).`,
    );
    this.name = 'StateFileError';
  }
}

/** One JSON file with a single-flight batched writer. */
class BatchedFile {
  private readonly db: Low<FileData>;
  private readonly writer = new SingleFlight(() => this.writeNow());
  readonly members = new Map<string, MemoryCollection<unknown>>();
  sequences: Record<string, number> = {};
  loaded: FileData = { collections: {}, sequences: {} };

  constructor(
    readonly file: string,
    private readonly faults?: WriteFaults,
  ) {
    this.db = new Low<FileData>(new DataFile<FileData>(file, { parse: JSON.parse, stringify: (d) => JSON.stringify(d) }), { collections: {}, sequences: {} });
  }

  async read(): Promise<void> {
    try {
      await this.db.read(); // a missing file reads as null (lowdb DataFile): a first start
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new StateFileError(this.file, e instanceof SyntaxError ? `not valid JSON (${e.message})` : (e.code ?? e.message));
    }
    const parsed = fileDataSchema.safeParse(this.db.data ?? { collections: {}, sequences: {} });
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new StateFileError(this.file, `not an opsbot state file (${first ? `${first.path.join('.') || '(top level)'}: ${first.message}` : 'wrong shape'})`);
    }
    this.loaded = parsed.data;
    this.sequences = { ...this.loaded.sequences };
  }

  /** Resolves once the current in-memory state (including the caller's change) is on disk. */
  flush(): Promise<void> {
    return this.writer.request();
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }

  private async writeNow(): Promise<void> {
    const collections: FileData['collections'] = {};
    for (const [name, c] of this.members) collections[name] = c.dump();
    this.db.data = { collections, sequences: this.sequences };
    this.faults?.beforeWrite(this.file);
    await this.db.write();
  }
}

export class LowdbStore implements Store {
  readonly driver = 'lowdb' as const;
  private readonly files = new Map<string, BatchedFile>();
  private readonly journals = new Map<string, JournalFile>();
  private readonly hot: BatchedFile;
  private audits?: MemoryCollection<AuditEntry>;
  private auditSeq = 0;
  readonly health = new StorageHealth();

  /** `log`: where a damaged bulk journal is reported at start-up (journal-file.ts); `faults`: the disk-full test seam. */
  constructor(
    readonly dataDir: string,
    private readonly options: JournalOptions & { faults?: WriteFaults } = {},
  ) {
    this.hot = new BatchedFile(path.join(dataDir, 'state.json'), options.faults);
    this.files.set('state', this.hot);
    // Recovery shows on /healthz without traffic: a small file written and removed.
    this.health.setProbe(async () => {
      const probe = path.join(this.dataDir, '.write-probe');
      this.options.faults?.beforeWrite(probe);
      await writeFile(probe, Buffer.alloc(4096));
      await rm(probe, { force: true });
    });
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.dataDir, 'logs'), { recursive: true });
    await this.hot.read();
    this.audits = (await this.open<AuditEntry>('audit', { tier: 'bulk', maxItems: 20_000 })) as MemoryCollection<AuditEntry>;
  }

  async close(): Promise<void> {
    for (const f of this.files.values()) await f.drain();
    for (const j of this.journals.values()) await j.drain();
  }

  collection<T>(name: string, options: CollectionOptions): Collection<T> {
    if (options.tier === 'hot') return (this.hot.members.get(name) as MemoryCollection<T> | undefined) ?? this.attach<T>(this.hot, name, options);
    // Bulk collections are opened lazily; the first access reads the file synchronously-in-effect by
    // returning a collection whose calls wait for the read.
    return new LazyCollection<T>(this.open<T>(name, options));
  }

  private attach<T>(file: BatchedFile, name: string, options: CollectionOptions): MemoryCollection<T> {
    const c = new MemoryCollection<unknown>(options, () => this.health.guard(() => file.flush()));
    c.load(file.loaded.collections[name] ?? []);
    file.members.set(name, c);
    return c as MemoryCollection<T>;
  }

  private readonly opening = new Map<string, Promise<Collection<unknown>>>();

  /** Bulk collections: one append-only journal each (journal-file.ts), opened once. */
  private open<T>(name: string, options: CollectionOptions): Promise<Collection<T>> {
    let p = this.opening.get(name);
    if (!p) {
      const journal = new JournalFile(path.join(this.dataDir, `${name}.jsonl`), this.options, this.options.faults);
      this.journals.set(name, journal);
      const c = new MemoryCollection<unknown>(options, (key) => this.health.guard(() => journal.record(key)));
      p = journal.load(c).then(() => c);
      this.opening.set(name, p);
    }
    return p as Promise<Collection<T>>;
  }


  async nextSequence(name: string): Promise<number> {
    const n = (this.hot.sequences[name] ?? 0) + 1;
    this.hot.sequences[name] = n;
    try {
      await this.health.guard(() => this.hot.flush());
    } catch (err) {
      if (this.hot.sequences[name] === n) this.hot.sequences[name] = n - 1; // not durable: not taken
      throw err;
    }
    return n;
  }

  async appendLog(taskId: string, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    await appendFile(this.logPath(taskId), lines.map((l) => l.replace(/\n/g, ' ') + '\n').join(''));
  }

  async readLog(taskId: string, options: { tail?: number } = {}): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(this.logPath(taskId), 'utf8');
    } catch {
      return [];
    }
    const lines = text.split('\n').filter((l) => l.length > 0);
    return options.tail === undefined ? lines : lines.slice(-options.tail);
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.audits!.put(`${Date.now()}-${++this.auditSeq}`, entry);
  }

  async listAudit(options: { limit?: number } = {}): Promise<AuditEntry[]> {
    return this.audits!.list({ newestFirst: true, ...(options.limit !== undefined ? { limit: options.limit } : {}) });
  }

  private logPath(taskId: string): string {
    return path.join(this.dataDir, 'logs', `${taskId.replace(/[^\w.-]/g, '_')}.log`);
  }
}

/** A collection whose file is still being read: every call waits for the open first. */
class LazyCollection<T> implements Collection<T> {
  constructor(private readonly ready: Promise<Collection<T>>) {}
  async get(key: string) { return (await this.ready).get(key); }
  async put(key: string, value: T) { return (await this.ready).put(key, value); }
  async insertIfAbsent(key: string, value: T) { return (await this.ready).insertIfAbsent(key, value); }
  async update(key: string, fn: (current: T | undefined) => T | undefined) { return (await this.ready).update(key, fn); }
  async delete(key: string) { return (await this.ready).delete(key); }
  async list(options?: Parameters<Collection<T>['list']>[0]) { return (await this.ready).list(options); }
  async count() { return (await this.ready).count(); }
}
