/**
 * Neutral Card → WeCom `template_card` of type `button_interaction` (chat-platforms.md §7.2, doc
 * 101031 limits in wecom-aibot-long-connection-frames.json `_notes.card_limits`), markdown and text.
 * WeCom states most limits as "recommended" lengths; we truncate to them so nothing is rejected
 * and move what does not fit (extra fields, long text) into the sub-title text. Whatever was cut is
 * said once, at the end of the sub-title text ("…（已截断）", hardening item 6).
 */
import { cardToMarkdown, cardToText } from '../../../cards/model.ts';
import type { Button, Card, Tone } from '../../../cards/model.ts';
import type { Locale } from '../../core/i18n.ts';
import { fitHeadTail, splitCardMarkdown, truncateBytes, truncationMarker } from '../truncate.ts';

export { truncateBytes };

/**
 * Lengths in width units (a CJK character counts 2, ASCII 1), from the "建议不超过 N 个字" notes of
 * doc 101031 as mirrored in aibot-node-sdk `src/types/api.ts`: title 26 字, desc 30, sub_title_text
 * 112, keyname 5, value 26, button text 10; horizontal_content_list ≤ 6, button_list ≤ 6.
 */
export const LIMITS = {
  title: 52,
  titleDesc: 60,
  subTitle: 224,
  fields: 6,
  keyname: 10,
  value: 52,
  buttons: 6,
  /** "建议不超过10个字": counted in width units, CJK = 2, ASCII = 1 (so "Acknowledge" fits). */
  buttonTextWidth: 20,
  quote: 300,
  /** Group-robot text.content ≤ 2048 B (§7.2); the app's passive text reply too (§7.1). */
  textBytes: 2048,
  /** Group-robot markdown.content ≤ 4096 B (§7.2); also our budget for AI-bot markdown (none documented). */
  markdownBytes: 4096,
  /**
   * Self-built app `message/send` markdown.content: 2048 B per WeCom's message/send doc (90236); not
   * in chat-platforms.md, which documents 2048 B only for the app's text reply.
   */
  appMarkdownBytes: 2048,
  /** AI-bot stream reply content ≤ 20480 B (§7.3). */
  streamBytes: 20480,
} as const;

/** Cut to `max` characters (code points), marking the cut. */
export function truncate(s: string, max: number, marker = '…'): string {
  const cps = [...s];
  const m = [...marker].length;
  return cps.length <= max ? s : cps.slice(0, Math.max(0, max - m)).join('') + marker;
}

/** Width units of one code point: WeCom's limits are given in 字, a non-ASCII character counts 2. */
const unitWidth = (ch: string): number => (ch.charCodeAt(0) < 0x80 ? 1 : 2);
const widthOf = (s: string): number => [...s].reduce((n, ch) => n + unitWidth(ch), 0);

/** Cut to `max` width units on a code-point boundary, ending with `marker` (default "…"). */
export function truncateWidth(s: string, max: number, marker = '…'): string {
  if (widthOf(s) <= max) return s;
  const budget = max - widthOf(marker);
  let w = 0;
  let out = '';
  for (const ch of s) {
    const cw = unitWidth(ch);
    if (w + cw > budget) break;
    out += ch;
    w += cw;
  }
  return out + marker;
}

/** source.desc_color: 0 grey, 1 black, 2 red, 3 green. */
const toneColor: Record<Tone, number> = { info: 0, success: 3, warning: 2, danger: 2 };
const styleOf = (b: Button): number => (b.style === 'danger' ? 3 : b.style === 'default' ? 2 : 1);

export interface TemplateCardJson {
  card_type: 'button_interaction';
  task_id: string;
  source: { desc: string; desc_color: number };
  main_title: { title: string; desc?: string };
  sub_title_text?: string;
  quote_area?: { type: 0; quote_text: string };
  horizontal_content_list?: Array<{ keyname: string; value: string; type?: 1; url?: string }>;
  card_action?: { type: 1; url: string };
  button_list: Array<{ text: string; style: number; key: string }>;
}

/** True when the card has at least one command button (then it becomes a button_interaction card). */
export function hasCommandButtons(card: Card): boolean {
  return card.blocks.some((b) => b.kind === 'actions' && b.buttons.some((btn) => 'command' in btn.action));
}

/** Strip the markdown WeCom template cards would show literally. */
function plain(s: string): string {
  return s.replace(/\*\*(.+?)\*\*/g, '$1').replace(/`([^`]*)`/g, '$1').replace(/^#+\s*/gm, '').trim();
}

/**
 * Render a card with command buttons as a `button_interaction` template card. `keyFor` turns a
 * command into a button key (≤1024 B, unique within the card).
 */
export async function renderTemplateCard(
  card: Card,
  opts: { taskId: string; keyFor: (command: string, forceStored?: boolean) => Promise<string>; sourceDesc?: string; locale?: Locale },
): Promise<TemplateCardJson> {
  const texts: string[] = [];
  const quotes: string[] = [];
  const horizontal: NonNullable<TemplateCardJson['horizontal_content_list']> = [];
  const buttons: TemplateCardJson['button_list'] = [];
  const usedKeys = new Set<string>();
  // The details link (cards/model.ts) makes the whole card its tap target (card_action type 1: open URL).
  let cardAction: TemplateCardJson['card_action'] = card.details ? { type: 1, url: card.details.url } : undefined;
  const overflowButtons: string[] = [];

  for (const b of card.blocks) {
    switch (b.kind) {
      case 'markdown':
      case 'note':
        texts.push(plain(b.text));
        break;
      case 'code':
        quotes.push(b.text);
        break;
      case 'fields':
        for (const f of b.fields) {
          if (horizontal.length < LIMITS.fields && truncateWidth(f.value, LIMITS.value) === f.value) {
            horizontal.push({ keyname: truncateWidth(f.label, LIMITS.keyname), value: f.value });
          } else texts.push(`${f.label}: ${f.value}`);
        }
        break;
      case 'actions':
        for (const btn of b.buttons) {
          if ('url' in btn.action) {
            if (!cardAction) cardAction = { type: 1, url: btn.action.url };
            else if (horizontal.length < LIMITS.fields)
              horizontal.push({ keyname: truncateWidth(btn.label, LIMITS.keyname), value: truncateWidth(btn.label, LIMITS.value), type: 1, url: btn.action.url });
          } else if (buttons.length < LIMITS.buttons) {
            let key = await opts.keyFor(btn.action.command);
            // Keys must be unique within a card ("不可重复"): a duplicate command gets its own stored id.
            if (usedKeys.has(key)) key = await opts.keyFor(btn.action.command, true);
            usedKeys.add(key);
            buttons.push({ text: truncateWidth(btn.label, LIMITS.buttonTextWidth), style: styleOf(btn), key });
          } else overflowButtons.push(btn.action.command);
        }
        break;
    }
  }
  if (card.details && horizontal.length < LIMITS.fields) {
    horizontal.push({ keyname: truncateWidth(card.details.label, LIMITS.keyname), value: truncateWidth(card.details.label, LIMITS.value), type: 1, url: card.details.url });
  }
  if (overflowButtons.length) texts.push(overflowButtons.map((c) => `\`${c}\``).join('  '));

  const [first, ...restTitle] = card.title.split('\n');
  const out: TemplateCardJson = {
    card_type: 'button_interaction',
    task_id: opts.taskId,
    source: { desc: opts.sourceDesc ?? 'opsbot', desc_color: card.tone ? toneColor[card.tone] : 0 },
    main_title: { title: truncateWidth(first ?? '', LIMITS.title) },
    button_list: buttons,
  };
  if (restTitle.length) out.main_title.desc = truncateWidth(restTitle.join(' '), LIMITS.titleDesc);
  const quote = quotes.join('\n');
  if (quotes.length) out.quote_area = { type: 0, quote_text: truncate(quote, LIMITS.quote) };
  // The title slots are too short for the full marker: they end in "…", and the sub-title says it.
  const notice = truncationMarker(opts.locale);
  const cutElsewhere = out.main_title.title !== (first ?? '') || (restTitle.length > 0 && out.main_title.desc !== restTitle.join(' ')) || (quotes.length > 0 && out.quote_area?.quote_text !== quote);
  const sub = [...texts, ...(cutElsewhere ? [notice] : [])].join('\n');
  if (sub) out.sub_title_text = truncateWidth(sub, LIMITS.subTitle, notice);
  if (horizontal.length) out.horizontal_content_list = horizontal;
  if (cardAction) out.card_action = cardAction;
  return out;
}

/**
 * Markdown body for message/send (pass `maxBytes: LIMITS.appMarkdownBytes`), the group robot and AI-bot
 * replies (≤4096 B). Over the limit the content is cut (marker); the actions and `tail` (the
 * `<@userid>` mentions) are kept whole.
 */
export function renderMarkdown(card: Card, opts: { maxBytes?: number; locale?: Locale; tail?: string } = {}): string {
  const max = opts.maxBytes ?? LIMITS.markdownBytes;
  const withTail = (body: string): string => (opts.tail ? `${body}\n${opts.tail}` : body);
  const full = withTail(cardToMarkdown(card));
  if (Buffer.byteLength(full, 'utf8') <= max) return full;
  const { head, actions } = splitCardMarkdown(card);
  const room = max - (opts.tail ? Buffer.byteLength(`\n${opts.tail}`, 'utf8') : 0);
  return withTail(fitHeadTail(head, actions, room, { marker: truncationMarker(opts.locale) }));
}

/** Plain text fallback (≤2048 B). */
export function renderText(card: Card, opts: { locale?: Locale } = {}): string {
  return truncateBytes(cardToText(card), LIMITS.textBytes, { marker: truncationMarker(opts.locale) });
}
