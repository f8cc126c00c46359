/**
 * Reading a bulk journal back (journal-file.ts): replay its lines, and say which ones could not be used.
 *
 * A journal line is only ever written whole by one synchronous write(2), so a line that does not parse
 * is either the unterminated tail of a write interrupted by a power loss (its caller was never
 * acknowledged: ignored, as before) or damage — a disk error, a stray editor, a file overwritten with
 * something else. Damage used to be skipped silently and the next compaction erased the evidence;
 * now the caller learns the line numbers and moves the original aside before rewriting.
 */
import { link, copyFile, constants } from 'node:fs/promises';
import { z } from 'zod';

/** The file is on disk outside our control: a boundary, so the line shape is checked, not assumed. */
const lineSchema = z.object({
  k: z.string(),
  v: z.unknown().optional(),
  t: z.number().optional(),
  d: z.literal(1).optional(),
  p: z.record(z.string(), z.unknown()).optional(),
  x: z.array(z.string()).optional(),
  /** A put's long string fields, base64 of their UTF-8 (journal-file.ts fullLine). */
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
}

/** Replays journal text. Never throws on content. */
export function replayJournal(text: string, now: () => number = Date.now): Replay {
  const rows = new Map<string, [string, unknown, number]>();
  const damaged: number[] = [];
  const segments = text.split('\n');
  const unterminated = text.length > 0 && !text.endsWith('\n');
  let lines = 0;
  let valid = 0;
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i]!;
    if (!raw) continue;
    lines++;
    const line = parseLine(raw);
    const isTail = unterminated && i === segments.length - 1;
    if (!line) {
      // An unterminated last line after valid ones is an interrupted write, not damage.
      if (!(isTail && valid > 0)) damaged.push(i + 1);
      continue;
    }
    if (line.d) rows.delete(line.k);
    else if (line.p) {
      // A patch always follows a full line of its key in the same file (journal-file.ts record / compact):
      // without that base, the line its value depends on was lost.
      const row = rows.get(line.k);
      if (!row || !isPlainObject(row[1])) {
        damaged.push(i + 1);
        continue;
      }
      const v: Obj = { ...row[1], ...line.p };
      for (const f of line.x ?? []) delete v[f];
      row[1] = v;
    } else {
      rows.delete(line.k); // keep insertion order of the latest write
      rows.set(line.k, [line.k, line.b && isPlainObject(line.v) ? decoded(line.v, line.b) : line.v, line.t ?? now()]);
    }
    valid++;
  }
  return { rows, lines, damaged, unterminated };
}

/** A put's value with its long strings back in their places. */
function decoded(v: Obj, b: Record<string, string>): Obj {
  const out: Obj = { ...v };
  for (const f in b) out[f] = Buffer.from(b[f]!, 'base64').toString('utf8');
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
