/**
 * The lines the journal writes (journal-file.ts; journal-replay.ts reads them back): a full put line, with
 * its long strings base64-encoded, and the patch line that carries only what changed since the last one.
 */
import { isPlainObject } from './journal-replay.ts';

type Obj = Record<string, unknown>;

/**
 * The patch turning the last written `prev` into `next`, or undefined when a full line is needed.
 * Primitive fields are compared by value (immutable, so exact); object fields are always written again
 * (a caller may have mutated them in place), so a patch is never wrong, only sometimes not minimal.
 */
export function patchOf(prev: Obj, next: Obj): { p: Obj; x?: string[] } | undefined {
  const p: Obj = {};
  let x: string[] | undefined;
  let same = 0;
  for (const k in next) {
    const v = next[k];
    // JSON drops undefined: an undefined field is an absent one (as in a full line).
    if (v === undefined) {
      if (prev[k] !== undefined) (x ??= []).push(k);
    } else if (v !== null && typeof v === 'object') p[k] = v;
    else if (v !== prev[k]) p[k] = v;
    else same++;
  }
  for (const k in prev) if (prev[k] !== undefined && !(k in next)) (x ??= []).push(k);
  // Nothing unchanged worth skipping: the full line is as small and simpler to read back.
  if (same === 0) return undefined;
  return x ? { p, x } : { p };
}

/**
 * Top-level string fields at least this long are written base64-encoded in `b` (their place in `v` holds
 * ""): a webhook body is JSON text, and JSON-escaping its ~500 quotes costs more than everything else in
 * its line. Measured on the 4.2 KB Sentry event_alert fixture, Node 20: JSON.stringify of the text 16 µs,
 * UTF-8 encode + base64 4.7 µs (decoding on load is cheaper than parsing the escaped text, too).
 */
const ENCODE_MIN_CHARS = 1024;

/** Only well-formed text is encoded: UTF-8 would replace a lone surrogate, which JSON.stringify keeps as \udXXX. */
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed(); // ES2024, in Node 20

/**
 * A put line: `{"k","v","t"}`, with the long strings of an object value in `b` (ENCODE_MIN_CHARS). The
 * `b` member is spliced in as text: base64's alphabet (RFC 4648 §4: A–Z a–z 0–9 + / =) needs no JSON
 * escaping, and JSON.stringify scanning the ~5.6 KB of it for characters to escape cost ~7 µs of the
 * ~11 µs per 4.2 KB delivery (Node 20, measured with a loop of 20 000 lines).
 */
export function fullLine(k: string, v: unknown, t: number): string {
  if (!isPlainObject(v)) return JSON.stringify({ k, v, t });
  let b = '';
  let rest: Obj | undefined;
  for (const f in v) {
    const s = v[f];
    if (typeof s !== 'string' || s.length < ENCODE_MIN_CHARS || !isWellFormed(s)) continue;
    rest ??= { ...v };
    rest[f] = '';
    b += `${b ? ',' : ''}${JSON.stringify(f)}:"${Buffer.from(s, 'utf8').toString('base64')}"`;
  }
  if (!rest) return JSON.stringify({ k, v, t });
  const head = JSON.stringify({ k, v: rest, t });
  return `${head.slice(0, -1)},"b":{${b}}}`;
}
