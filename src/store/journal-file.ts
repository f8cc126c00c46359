/**
 * Bulk collections (webhook deliveries, seen chat messages, audit) as an append-only JSON-lines journal.
 *
 * Why: rewriting a whole JSON file per flush made each webhook cost O(stored) — at 5 000 retained
 * deliveries that was ~22 MB of JSON.stringify per flush, and ~46 % of the bot's CPU under load
 * (bench/results.md, `npm run bench -- ingest --profile`). Appending one line per change keeps the
 * cost per delivery constant. Each caller resolves once its line is appended (batched: one append
 * carries every line recorded in the same event-loop turn), the same durability as lowdb's steno writer
 * (no fsync): the bytes are handed to the kernel with write(2) before anyone is acknowledged, so they
 * survive a SIGKILL of the process (not a power loss). The append is a synchronous write(2) of a few KB
 * into the page cache on a kept descriptor: cheaper and sooner than a thread-pool round trip
 * (open + write + close) per batch, which is what the callers wait for.
 *
 * Lines: `{"k":key,"v":value,"t":insertedAt}` (put; a long string field of the value is in
 * `"b":{field:base64}`, see journal-lines.ts fullLine), `{"k":key,"d":1}` (delete), or
 * `{"k":key,"p":{field:value…},"x":[removed fields]}` (patch: only the top-level fields of an object
 * value that changed since the line last written for that key; a delivery's status change then costs
 * ~100 bytes instead of re-serialising its 4 KB body). Load replays them in order (a torn last line from
 * a crash is ignored: its caller was never acknowledged). The file is compacted (rewritten atomically:
 * tmp + rename, in the background: see compact) whenever it holds over 2× the live entries + 1000 lines.
 *
 * A failed append (ENOSPC, EIO) leaves no trace: the file is cut back to its length before the batch
 * (write(2) may have stored part of it), the batch's keys lose their patch base (their next line is a full
 * one), and every caller of the batch is rejected, so the collection rolls its change back
 * (memory-store.ts `commit`) and nobody was acknowledged for bytes that are not on disk.
 */
import { appendFileSync, closeSync, fstatSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { fullLine, patchOf } from './journal-lines.ts';
import { isPlainObject, lineList, moveAside, replayJournalFile } from './journal-replay.ts';
import type { MemoryCollection } from './memory-store.ts';
import type { WriteFaults } from './write-faults.ts';

type Obj = Record<string, unknown>;

/**
 * Entries serialised per turn while compacting (~1 MB of 4 KB deliveries, a few ms): the rewrite of
 * 5 000-15 000 deliveries in one go blocked the event loop for 100-300 ms (bench: p99 303 ms with a
 * 100 000-line journal trimmed to 5 000).
 */
const COMPACT_CHUNK = 256;

/** Where start-up reports a damaged journal (the store's logger; pino's `warn(obj, msg)`). */
export interface JournalOptions {
  log?: { warn(obj: object, msg: string): void };
  clock?: () => number;
}

export class JournalFile {
  private pending: string[] = [];
  /** The key of each pending line (same index). */
  private pendingKeys: string[] = [];
  /** The file's length after the last successful append (where a failed one is cut back to). */
  private size = 0;
  private waiters: [() => void, (e: unknown) => void][] = [];
  private scheduled = false;
  private compacting: Promise<void> | null = null;
  /** While compacting: what was appended to the old file since the snapshot, copied to the new one at the swap. */
  private since: { bufs: Buffer[]; lines: number } | null = null;
  /** A failed write may have left a partial line: start the next append on a fresh line. */
  private torn = false;
  /**
   * Loaded with an unterminated tail (a write cut short by a crash: its caller was never acknowledged):
   * the file's length as loaded and where the tail starts. The first append cuts the tail off instead of
   * starting a fresh line after it, where the next load would find it between whole lines and report
   * damage. Not at load: a read-only look at a live data dir (tests, tools) must not cut a line being written.
   */
  private tail: { size: number; at: number } | undefined;
  private lines = 0;
  private fd: number | undefined;
  /**
   * Per key, a shallow copy of the value (and the insert time) its lines replay to: the base of the next
   * patch line. Invariant: replaying the file plus the pending lines gives exactly this for every key in it.
   */
  private written = new Map<string, { v: Obj; t: number }>();
  collection?: MemoryCollection<unknown>;

  constructor(
    readonly file: string,
    private readonly options: JournalOptions = {},
    /** Test seam: throws before a write to simulate a full disk. */
    private readonly faults?: WriteFaults,
  ) {}

  /**
   * Replay the journal into `collection`, then compact it. A damaged journal (journal-replay.ts) is kept
   * as `<file>.corrupt-<timestamp>` and rewritten from its valid lines, with a warning naming the file,
   * the damaged lines and what was kept: losing deliveries must never be silent.
   */
  async load(collection: MemoryCollection<unknown>): Promise<void> {
    this.collection = collection;
    const clock = this.options.clock ?? Date.now;
    const { rows, lines, damaged, unterminated, terminatedBytes, bytes } = await replayJournalFile(this.file, clock);
    collection.load([...rows.values()].sort((a, b) => a[2] - b[2]));
    for (const [k, v, t] of rows.values()) if (isPlainObject(v)) this.written.set(k, { v: { ...v }, t });
    this.lines = lines;
    // An interrupted last write: the next append starts on a fresh line instead of gluing onto it.
    this.torn = unterminated;
    this.tail = unterminated ? { size: bytes, at: terminatedBytes } : undefined;
    if (damaged.length > 0) {
      const aside = await moveAside(this.file, clock());
      this.options.log?.warn(
        { file: this.file, damagedLines: damaged.length, firstDamagedLine: damaged[0], kept: rows.size, movedTo: aside },
        `${this.file}: ${damaged.length} of ${lines} lines are damaged (line ${lineList(damaged)}); kept the ${rows.size} entries ` +
          `of the valid lines; the original is kept as ${aside} (inspect it, or delete it once you do not need it)`,
      );
      // Rewrite now: the file must not keep lines that the next start would report again.
      await this.compact();
      return;
    }
    // Compact only when worth it, so a read-only look at a live data dir (tests, tools) rewrites nothing.
    if (this.lines > 2 * rows.size + 1000) await this.compact();
  }

  /** Record the current state of `key`; resolves once appended. */
  record(key: string): Promise<void> {
    const e = this.collection?.entry(key);
    let line: string;
    if (!e) {
      this.written.delete(key);
      line = JSON.stringify({ k: key, d: 1 });
    } else {
      const prev = this.written.get(key);
      const next = e.value;
      // Same insert time: the same life of the key (retention may have dropped and re-created it).
      const patch = prev && prev.t === e.insertedAt && isPlainObject(next) ? patchOf(prev.v, next) : undefined;
      line = patch ? JSON.stringify({ k: key, ...patch }) : fullLine(key, next, e.insertedAt);
      if (isPlainObject(next)) this.written.set(key, { v: { ...next }, t: e.insertedAt });
      else this.written.delete(key);
    }
    this.pending.push(line + '\n');
    this.pendingKeys.push(key);
    const p = new Promise<void>((res, rej) => this.waiters.push([res, rej]));
    this.schedule();
    return p;
  }

  /** Append at the end of this event-loop turn, so every change made in the turn rides on one write. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.appendPending();
    });
  }

  /** One synchronous append carries every pending line; its callers resolve once it is written. */
  private appendPending(): void {
    const batch = this.pending.splice(0);
    const keys = this.pendingKeys.splice(0);
    const waiters = this.waiters.splice(0);
    if (batch.length === 0) return;
    try {
      if (this.fd === undefined) {
        this.fd = openSync(this.file, 'a');
        this.size = fstatSync(this.fd).size;
        // Still the file as loaded (nobody appended since): cut the torn tail off.
        if (this.tail && this.tail.size === this.size) {
          ftruncateSync(this.fd, this.tail.at);
          this.size = this.tail.at;
          this.torn = false;
        }
        this.tail = undefined;
      }
      if (this.torn) batch.unshift('\n');
      this.faults?.beforeWrite(this.file);
      const buf = Buffer.from(batch.join(''));
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
      this.size += buf.length;
      this.torn = false;
      this.lines += batch.length;
      if (this.since) {
        this.since.bufs.push(buf);
        this.since.lines += batch.length;
      }
      for (const [r] of waiters) r();
    } catch (err) {
      this.undoBatch(keys);
      for (const [, j] of waiters) j(err);
      return;
    }
    if (!this.compacting && this.lines > 2 * (this.collection?.entries.size ?? 0) + 1000) {
      // In the background: appends go on to the old file meanwhile (compact() carries them over).
      this.compacting = this.compact()
        .catch(() => undefined) // the journal stays valid uncompacted; retried after the next append
        .finally(() => {
          this.compacting = null;
        });
    }
  }

  /** After a failed append: cut off whatever part of the batch reached the file; forget the batch's bases. */
  private undoBatch(keys: string[]): void {
    for (const k of keys) this.written.delete(k);
    try {
      if (this.fd !== undefined) ftruncateSync(this.fd, this.size);
    } catch {
      this.torn = true; // could not cut it: the next append starts on a fresh line (the next load reports the torn one)
    }
  }

  /**
   * Rewrite the file with only the live entries (atomic against a crash: tmp + rename), without holding
   * up appends. The snapshot is taken right after an append (no pending lines: memory is what the file
   * replays to) and written a chunk per turn; appends meanwhile still go to the old file and are kept.
   * At the swap, in one synchronous step (no append can come between), they are appended to the new
   * file, which is then renamed over the old one. Replaying them on top of the snapshot gives what the
   * old file gives: puts and deletes replace, and a patch sets the same fields to the same values
   * whether or not the snapshot already had them, in the same order.
   */
  private async compact(): Promise<void> {
    const rows = this.collection?.dump() ?? [];
    const tmp = `${this.file}.tmp`;
    this.since = { bufs: [], lines: 0 };
    let fh: FileHandle | undefined;
    let since: { bufs: Buffer[]; lines: number };
    try {
      this.faults?.beforeWrite(tmp);
      fh = await open(tmp, 'w');
      for (let i = 0; i < rows.length; i += COMPACT_CHUNK) {
        const buf = Buffer.from(rows.slice(i, i + COMPACT_CHUNK).map(([k, v, t]) => fullLine(k, v, t) + '\n').join(''));
        // One write(2) may store less than asked (a disk filling up): go on until all of it is written.
        for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off)).bytesWritten;
      }
      await fh.close();
      fh = undefined;
      since = this.since;
      if (since.bufs.length > 0) appendFileSync(tmp, Buffer.concat(since.bufs));
      renameSync(tmp, this.file);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await rm(tmp, { force: true }); // a half-written copy only takes space a full disk does not have
      throw err;
    } finally {
      this.since = null;
    }
    // The kept descriptor points at the old inode: close it at the rename, reopen on the next append.
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.torn = false; // the new file ends with a whole line
    this.tail = undefined;
    this.lines = rows.length + since.lines;
    // Bases stay valid (the file replays to the same values as before); forget the keys retention
    // dropped, which neither the snapshot nor the collection has any more.
    const live = new Set(rows.map(([k]) => k));
    for (const k of this.written.keys()) if (!live.has(k) && !this.collection?.entry(k)) this.written.delete(k);
  }

  /** Resolves once every recorded line is appended (and any compaction finished); closes the file. */
  async drain(): Promise<void> {
    while (this.scheduled || this.compacting || this.pending.length > 0) {
      if (this.compacting) await this.compacting;
      else if (this.pending.length > 0) this.appendPending();
      else await new Promise((r) => setImmediate(r));
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
