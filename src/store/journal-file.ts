/**
 * Bulk collections (webhook deliveries, seen chat messages, audit) as an append-only JSON-lines journal.
 *
 * Why: rewriting a whole JSON file per flush made each webhook cost O(stored) — at 5 000 retained
 * deliveries that was ~22 MB of JSON.stringify per flush, and ~46 % of the bot's CPU under load
 * (bench/results.md, `npm run bench -- ingest --profile`). Appending one line per change keeps the
 * cost per delivery constant. Each caller resolves once its line is appended (batched: one append
 * carries every change made meanwhile), the same durability as lowdb's steno writer (no fsync).
 *
 * Lines: `{"k":key,"v":value,"t":insertedAt}` (put) or `{"k":key,"d":1}` (delete). Load replays them
 * (a torn last line from a crash is ignored: its caller was never acknowledged). The file is compacted
 * (rewritten atomically: tmp + rename) whenever it holds over 2× the live entries + 1000 lines.
 */
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import type { MemoryCollection } from './memory-store.ts';
import { SingleFlight } from './single-flight.ts';

interface Line {
  k: string;
  v?: unknown;
  t?: number;
  d?: 1;
}

export class JournalFile {
  private pending: string[] = [];
  private readonly writer = new SingleFlight(() => this.appendPending());
  private lines = 0;
  collection?: MemoryCollection<unknown>;

  constructor(readonly file: string) {}

  /** Replay the journal into `collection`, then compact it. */
  async load(collection: MemoryCollection<unknown>): Promise<void> {
    this.collection = collection;
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const rows = new Map<string, [string, unknown, number]>();
    let count = 0;
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      count++;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a torn last line: never acknowledged
      }
      if (line.d) rows.delete(line.k);
      else {
        rows.delete(line.k); // keep insertion order of the latest write… but preserve the first insert time
        rows.set(line.k, [line.k, line.v, line.t ?? Date.now()]);
      }
    }
    collection.load([...rows.values()].sort((a, b) => a[2] - b[2]));
    this.lines = count;
    // Compact only when worth it, so a read-only look at a live data dir (tests, tools) rewrites nothing.
    if (this.lines > 2 * rows.size + 1000) await this.compact();
  }

  /** Record the current state of `key`; resolves once appended. */
  record(key: string): Promise<void> {
    const e = this.collection?.entry(key);
    this.pending.push(JSON.stringify(e ? { k: key, v: e.value, t: e.insertedAt } : { k: key, d: 1 }) + '\n');
    return this.writer.request();
  }

  /** One append carries every line recorded since the last one; compact when the file has grown. */
  private async appendPending(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    await appendFile(this.file, batch.join(''));
    this.lines += batch.length;
    const live = (await this.collection?.count()) ?? 0;
    if (this.lines > 2 * live + 1000) await this.compact();
  }

  /** Rewrite the file with only the live entries (atomic against a crash: tmp + rename). */
  private async compact(): Promise<void> {
    const rows = this.collection?.dump() ?? [];
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, rows.map(([k, v, t]) => JSON.stringify({ k, v, t }) + '\n').join(''));
    await rename(tmp, this.file);
    this.lines = rows.length;
  }

  drain(): Promise<void> {
    return this.writer.drain();
  }
}
