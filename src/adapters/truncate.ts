/**
 * Byte-limited truncation shared by every renderer (hardening item 6). Platform limits are in UTF-8
 * bytes (DingTalk msgParam ≤ 15 000 B, chat-platforms.md §4.4; WeCom markdown ≤ 4096 B / text ≤ 2048 B,
 * §7.2), and a message over the limit is rejected whole, so nothing arrives. We cut on a code-point
 * boundary (never inside a multi-byte character or a surrogate pair) and say that we cut.
 */
import type { Card } from '../../cards/model.ts';
import { cardToMarkdown } from '../../cards/model.ts';
import type { Locale } from '../core/i18n.ts';

/** The marker appended to cut text; bilingual when the adapter was not told the bot's locale. */
export function truncationMarker(locale?: Locale): string {
  if (locale === 'zh-CN') return '…（已截断）';
  if (locale === 'en') return '… (truncated)';
  return '…（已截断 / truncated）';
}

/** How a string is counted: raw UTF-8, or UTF-8 inside a JSON string literal (escapes count). */
export type Measure = 'utf8' | 'json';

/** Bytes of one code point under `measure` (JSON.stringify escapes each character independently). */
function cost(ch: string, measure: Measure): number {
  return measure === 'json' ? Buffer.byteLength(JSON.stringify(ch), 'utf8') - 2 : Buffer.byteLength(ch, 'utf8');
}

/** Bytes of `s` under `measure`. */
export function byteSize(s: string, measure: Measure = 'utf8'): number {
  return measure === 'json' ? Buffer.byteLength(JSON.stringify(s), 'utf8') - 2 : Buffer.byteLength(s, 'utf8');
}

/**
 * `s` if it fits in `maxBytes`, else its longest code-point prefix that fits together with `marker`.
 * When not even the marker fits, the marker itself is cut (it is never longer than maxBytes).
 */
export function truncateBytes(s: string, maxBytes: number, opts: { marker?: string; measure?: Measure } = {}): string {
  const measure = opts.measure ?? 'utf8';
  if (byteSize(s, measure) <= maxBytes) return s;
  const marker = opts.marker ?? truncationMarker();
  const markerBytes = byteSize(marker, measure);
  if (markerBytes > maxBytes) return truncateBytes(marker, maxBytes, { marker: '', measure });
  const budget = maxBytes - markerBytes;
  let used = 0;
  let out = '';
  // for…of walks code points, so a surrogate pair is taken or left whole.
  for (const ch of s) {
    const c = cost(ch, measure);
    if (used + c > budget) break;
    out += ch;
    used += c;
  }
  return out + marker;
}

/**
 * `head` + `sep` + `tail` within `maxBytes`, cutting only `head` (with the marker) so the tail (the
 * commands to type, the @mentions) survives; if the tail alone is too big, the whole text is cut.
 */
export function fitHeadTail(head: string, tail: string, maxBytes: number, opts: { marker?: string; measure?: Measure; sep?: string } = {}): string {
  const sep = opts.sep ?? '\n\n';
  const measure = opts.measure ?? 'utf8';
  const whole = tail ? (head ? head + sep + tail : tail) : head;
  if (byteSize(whole, measure) <= maxBytes) return whole;
  const room = maxBytes - byteSize(sep + tail, measure);
  if (!tail || room < byteSize(opts.marker ?? truncationMarker(), measure) + 16) return truncateBytes(whole, maxBytes, opts);
  return truncateBytes(head, room, opts) + sep + tail;
}

/**
 * A card's markdown split into what may be cut (title and content) and what should stay whole (its
 * actions: the commands to type and the links), for fitHeadTail.
 */
export function splitCardMarkdown(card: Card): { head: string; actions: string } {
  const acts = card.blocks.filter((b) => b.kind === 'actions');
  // The details link is kept with the actions: a cut card still links to its page.
  const head = cardToMarkdown({ ...card, details: undefined, blocks: card.blocks.filter((b) => b.kind !== 'actions') });
  // cardToMarkdown always starts with a "### title" heading; an empty title leaves "### " to strip.
  const kept: Card = { title: '', blocks: acts, ...(card.details ? { details: card.details } : {}) };
  const actions = acts.length || card.details ? cardToMarkdown(kept).replace(/^### (\n\n)?/, '') : '';
  return { head, actions };
}
