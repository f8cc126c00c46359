/**
 * Reading a bulk journal back (journal-file.ts): replay its lines, and say which ones could not be used.
 *
 * A journal line is only ever written whole by one synchronous write(2), so a line that does not parse
 * is either the unterminated tail of a write interrupted by a power loss (its caller was never
 * acknowledged: ignored, as before) or damage — a disk error, a stray editor, a file overwritten with
 * something else. Damage used to be skipped silently and the next compaction erased the evidence;
 * now the caller learns the line numbers and moves the original aside before rewriting.
 */
import { link, copyFile, constants, open, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';

/** The file is on disk outside our control: a boundary, so the line shape is checked, not assumed. */
const lineSchema = z.object({
  k: z.string(),
  v: z.unknown().optional(),
  t: z.number().optional(),
  d: z.literal(1).optional(),
  p: z.record(z.string(), z.unknown()).optional(),
  x: z.array(z.string()).optional(),
  /** A put's long string fields, base64 of their UTF-8 (journal-lines.ts fullLine). */
  b: z.record(z.string(), z.string()).optional(),
});

type Obj = Record<string, unknown>;
export const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

export interface Replay {
  /** key → [key, value, insertedAt], in the order the journal left them. */
  rows: Map<string, [string, unknown, number]>;
  /** Non-empty lines read (valid or not): the compaction threshold counts them. */
  lines: number;
  /** 1-based numbers of the lines that are damaged (unparseable, wrong shape, a patch without its base). */
  damaged: number[];
  /** The file ends without a newline: the next append must start a fresh line, or it would glue onto it. */
  unterminated: boolean;
  /** Bytes up to and including the last newline: where an unterminated tail starts (journal-file.ts cuts it). */
  terminatedBytes: number;
  /** Bytes read: the file's length as replayed. */
  bytes: number;
}

/**
 * Replays a journal line by line, so a file of any size can be read back: one string of the whole file
 * is capped by V8 (~512 MiB: `RangeError: Invalid string length`), which 100 000 retained deliveries of
 * 4.2 KB (5.7 KB per line in base64) passed, and the bot could then not start on its own data.
 */
class Replayer {
  readonly rows = new Map<string, [string, unknown, number]>();
  readonly damaged: number[] = [];
  lines = 0;
  private valid = 0;
  private lineNo = 0;

  constructor(private readonly now: () => number) {}

  /**
   * One line without its newline (`undefined`: a line too long to decode, damaged). `tail`: the file's
   * unterminated last line.
   */
  add(raw: string | undefined, tail: boolean): void {
    this.lineNo++;
    if (raw === '') return;
    this.lines++;
    const line = raw === undefined ? undefined : parseLine(raw);
    if (!line) {
      // An unterminated last line after valid ones is an interrupted write, not damage.
      if (!(tail && this.valid > 0)) this.damaged.push(this.lineNo);
      return;
    }
    if (line.d) this.rows.delete(line.k);
    else if (line.p) {
      // A patch always follows a full line of its key in the same file (journal-file.ts record / compact):
      // without that base, the line its value depends on was lost.
      const row = this.rows.get(line.k);
      if (!row || !isPlainObject(row[1])) {
        this.damaged.push(this.lineNo);
        return;
      }
      const v: Obj = { ...row[1], ...line.p };
      for (const f of line.x ?? []) delete v[f];
      row[1] = v;
    } else {
      const v = line.b ? decoded(line.v, line.b) : line.v;
      if (v === undefined && line.b) {
        this.damaged.push(this.lineNo);
        return;
      }
      this.rows.delete(line.k); // keep insertion order of the latest write
      this.rows.set(line.k, [line.k, v, line.t ?? this.now()]);
    }
    this.valid++;
  }

  result(unterminated: boolean, terminatedBytes: number, bytes: number): Replay {
    return { rows: this.rows, lines: this.lines, damaged: this.damaged, unterminated, terminatedBytes, bytes };
  }
}

/** Bytes read per turn while replaying a file (a few thousand lines). */
const READ_CHUNK = 4 * 2 ** 20;
/**
 * A line longer than this is damage (ours are a few KB; a webhook body is capped by the server's body
 * limit): it is counted without being decoded, so a file of garbage with no newline cannot exhaust memory.
 */
const MAX_LINE_BYTES = 64 * 2 ** 20;

/**
 * Replays a journal file (absent: empty) in chunks of READ_CHUNK bytes. Lines are split on the byte 0x0A,
 * which never occurs inside a multi-byte UTF-8 sequence (RFC 3629 §3: continuation and lead bytes are
 * ≥ 0x80), so each line is decoded whole. Never throws on content; `limits` is a test seam.
 */
export async function replayJournalFile(
  file: string,
  now: () => number = Date.now,
  { chunk = READ_CHUNK, maxLineBytes = MAX_LINE_BYTES }: { chunk?: number; maxLineBytes?: number } = {},
): Promise<Replay> {
  const r = new Replayer(now);
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return r.result(false, 0, 0);
    throw err;
  }
  try {
    const buf = Buffer.allocUnsafe(chunk);
    let carry: Buffer[] = [];
    let carried = 0;
    let oversized = false;
    /** The file offset of buf[0], and of the first byte after the last newline. */
    let at = 0;
    let lineStart = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunk, null);
      if (bytesRead === 0) break;
      let from = 0;
      for (let nl = buf.indexOf(0x0a, 0); nl !== -1 && nl < bytesRead; nl = buf.indexOf(0x0a, from)) {
        if (oversized) r.add(undefined, false);
        else if (carried === 0) r.add(buf.toString('utf8', from, nl), false);
        else r.add(Buffer.concat([...carry, buf.subarray(from, nl)]).toString('utf8'), false);
        carry = [];
        carried = 0;
        oversized = false;
        from = nl + 1;
        lineStart = at + from;
      }
      if (from < bytesRead && !oversized) {
        // The start of a line that goes on in the next chunk: copied, since `buf` is reused.
        carry.push(Buffer.from(buf.subarray(from, bytesRead)));
        carried += bytesRead - from;
        if (carried > maxLineBytes) {
          oversized = true;
          carry = [];
        }
      }
      at += bytesRead;
    }
    const unterminated = carried > 0 || oversized;
    if (unterminated) r.add(oversized ? undefined : Buffer.concat(carry).toString('utf8'), true);
    return r.result(unterminated, lineStart, at);
  } finally {
    await fh.close();
  }
}

/**
 * A put's value with its long strings back in their places, or undefined when the line lost them:
 * fullLine writes `b` only beside an object value, and only as Buffer#toString('base64') writes it.
 * Buffer.from skips what is not base64 instead of throwing, so the text must re-encode to itself
 * (~1 µs per 5.4 KB field; a regular expression over it cost ~10 µs, a second per 100 000 lines at start-up).
 */
function decoded(v: unknown, b: Record<string, string>): Obj | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Obj = { ...v };
  for (const f in b) {
    const bytes = Buffer.from(b[f]!, 'base64');
    if (bytes.toString('base64') !== b[f]) return undefined;
    out[f] = bytes.toString('utf8');
  }
  return out;
}

function parseLine(raw: string): z.infer<typeof lineSchema> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const r = lineSchema.safeParse(parsed);
  return r.success ? r.data : undefined;
}

/** `3, 7, 9` or `3, 7, 9, … (40 more)`: readable in one log line. */
export function lineList(ns: number[], max = 10): string {
  return ns.length <= max ? ns.join(', ') : `${ns.slice(0, max).join(', ')}, … (${ns.length - max} more)`;
}

/**
 * Keeps the damaged original as `<file>.corrupt-<timestamp>` (never overwriting an earlier one) before
 * the journal is rewritten from its valid lines. A hard link keeps the very same bytes with no window in
 * which neither name holds them; where links are not possible, an exclusive copy. Returns the new path.
 */
export async function moveAside(file: string, at: number): Promise<string> {
  const stamp = new Date(at).toISOString().replace(/[:.]/g, '-');
  for (let n = 0; ; n++) {
    const target = `${file}.corrupt-${stamp}${n ? `-${n}` : ''}`;
    try {
      await link(file, target);
      return target;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'EXDEV' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    }
    try {
      await copyFile(file, target, constants.COPYFILE_EXCL);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
