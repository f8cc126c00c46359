/**
 * Neutral Card → DingTalk payloads (chat-platforms.md §4.1, §4.4, §4.8):
 * - markdown (sessionWebhook `markdown` / OpenAPI `sampleMarkdown`): buttons become links or the
 *   exact command to type, never a dead button (the last-resort fallback of issue 5);
 * - the interactive-card `cardParamMap`: the public AI-card template (`msgButtons` with
 *   `request:true`, button id = encoded command, see actions.ts), or our own template's variables
 *   when `cardTemplateId` is configured;
 * - plain text (cardToText).
 * Text over a limit is cut on a character boundary with a "truncated" marker (hardening item 6), so an
 * oversized alert still arrives; the commands to type and the @mentions are kept whole.
 */
import { BotError } from '../../core/errors.ts';
import { t, type Catalog, type Locale } from '../../core/i18n.ts';
import { cardToMarkdown, cardToText, type Button, type Card } from '../../../cards/model.ts';
import { fitHeadTail, splitCardMarkdown, truncateBytes, truncationMarker } from '../truncate.ts';
import { encodeCommandId } from './actions.ts';

/** The adapter's strings, declared by its feature (feature.ts `messages`) like every catalog. */
export const dingtalkMessages: Catalog = {
  'zh-CN': { 'dingtalk.card.typeHint': '按钮不可用时，请 @机器人 并发送上面反引号中的命令。' },
  en: { 'dingtalk.card.typeHint': 'If the buttons do not work, @mention the bot with a command shown above.' },
};

/** The public AI-card template the official python SDK uses (§4.8, AIMarkdownCardInstance). */
export const PUBLIC_AI_CARD_TEMPLATE = '382e4302-551d-4880-bf29-a30acfab2e71.schema';
/**
 * OpenAPI robot messages: msgParam ≤ 15000 bytes (§4.4). No separate limit is documented for the
 * sessionWebhook (§4.1 sends the same `{title,text}` / `{content}`), so both get this budget.
 */
export const MAX_MSG_PARAM_BYTES = 15000;
/** Interactive cards: each cardParamMap value ≤ 1 KB (§4.5 "key ≤100 B, value ≤1 KB"). */
export const MAX_CARD_VALUE_BYTES = 1024;
/** Public-template button limits are undocumented (§4.8); keep the row readable. */
export const MAX_BUTTONS = 6;
/** markdown titles are shown in the chat list; DingTalk cuts them anyway. */
const MAX_TITLE = 64;

/** A payload that breaks a DingTalk limit (the "ValidationError" of this adapter). */
export class DingtalkLimitError extends BotError {
  constructor(message: string) {
    super('E_BAD_REQUEST', `dingtalk: ${message}`);
    this.name = 'DingtalkLimitError';
  }
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function shortTitle(title: string): string {
  return title.length > MAX_TITLE ? title.slice(0, MAX_TITLE - 1) + '…' : title;
}

/** `@staffId` tokens: DingTalk highlights an @ only when it also appears in the text (§4.1). */
export function mentionLine(mentions: readonly string[] = []): string {
  return mentions.map((m) => `@${m}`).join(' ');
}

function checkSize(what: string, s: string): void {
  if (bytes(s) > MAX_MSG_PARAM_BYTES) throw new DingtalkLimitError(`${what} is ${bytes(s)} bytes (max ${MAX_MSG_PARAM_BYTES})`);
}

/** Bytes msgParam `JSON.stringify(obj)` leaves for one string field, measured JSON-escaped. */
function roomFor(obj: Record<string, string>, field: string): number {
  return MAX_MSG_PARAM_BYTES - Buffer.byteLength(JSON.stringify({ ...obj, [field]: '' }), 'utf8');
}

/**
 * Markdown message body `{title, text}` (also the fallback when interactive cards fail). Over the
 * msgParam limit, the card's content is cut (marker) and its commands, the hint and the @mentions kept.
 */
export function renderMarkdown(card: Card, opts: { mentions?: readonly string[]; locale?: Locale } = {}): { title: string; text: string } {
  const tail: string[] = [];
  const hasCommands = card.blocks.some((b) => b.kind === 'actions' && b.buttons.some((x) => 'command' in x.action));
  if (hasCommands) tail.push(`> ${t(opts.locale ?? 'zh-CN', 'dingtalk.card.typeHint')}`);
  const at = mentionLine(opts.mentions);
  if (at) tail.push(at);
  const out = { title: shortTitle(card.title), text: [cardToMarkdown(card), ...tail].join('\n\n') };
  if (bytes(JSON.stringify(out)) <= MAX_MSG_PARAM_BYTES) return out;
  const { head, actions } = splitCardMarkdown(card);
  const keep = [actions, ...tail].filter(Boolean).join('\n\n');
  out.text = fitHeadTail(head, keep, roomFor(out, 'text'), { measure: 'json', marker: truncationMarker(opts.locale) });
  checkSize('markdown message', JSON.stringify(out));
  return out;
}

/** Plain text reply `{content}` with `@staffId` tokens appended for the mentions; cut to msgParam's limit. */
export function renderText(text: string, mentions: readonly string[] = [], opts: { locale?: Locale } = {}): { content: string } {
  const at = mentionLine(mentions);
  const out = { content: at ? `${text}\n${at}` : text };
  if (bytes(JSON.stringify(out)) <= MAX_MSG_PARAM_BYTES) return out;
  out.content = fitHeadTail(text, at, roomFor(out, 'content'), { sep: '\n', measure: 'json', marker: truncationMarker(opts.locale) });
  checkSize('text message', JSON.stringify(out));
  return out;
}

/** Card → plain text (last resort). */
export function renderPlainText(card: Card): string {
  return cardToText(card);
}

/** Buttons past MAX_BUTTONS: `label: \`/command\`` for callbacks, a link for URLs. */
function overflowMarkdown(rest: Button[]): string {
  return rest.map((b) => ('command' in b.action ? `- ${b.label}: \`${b.action.command}\`` : `- [${b.label}](${b.action.url})`)).join('\n');
}

/** The card's body as markdown without its buttons (the card shows those as real buttons). */
export function bodyMarkdown(card: Card): string {
  const withoutActions: Card = { ...card, blocks: card.blocks.filter((b) => b.kind !== 'actions') };
  // cardToMarkdown puts the title in a heading; the card template has its own title slot.
  return cardToMarkdown(withoutActions).replace(/^### [^\n]*(\n\n)?/, '');
}

function buttonsOf(card: Card): Button[] {
  return card.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
}

const colorOf = (b: Button): string => (b.style === 'primary' ? 'blue' : b.style === 'danger' ? 'red' : 'gray');

/** One `msgButtons` entry: callback buttons `{text,color,id,request:true}`, URL buttons `{text,color,url,iosUrl}` (§4.8). */
export function renderButton(b: Button): Record<string, unknown> {
  if ('command' in b.action) return { text: b.label, color: colorOf(b), id: encodeCommandId(b.action.command), request: true };
  return { text: b.label, color: colorOf(b), url: b.action.url, iosUrl: b.action.url, pcUrl: b.action.url };
}

/** True when the card should be sent as an interactive card (it has buttons that call back). */
export function needsInteractiveCard(card: Card): boolean {
  return buttonsOf(card).some((b) => 'command' in b.action);
}

/**
 * `cardData.cardParamMap` for createAndDeliver / PUT (all values strings, §4.5).
 * Public AI card: flowStatus "3" (finished, else it spins), msgTitle, staticMsgContent (markdown),
 * sys_full_json_obj = JSON string {order, msgButtons}. Own template (cardTemplateId set): the
 * variables `title`, `tone`, `markdown`, `buttons` (JSON string of the same button objects).
 */
export function renderCardParams(card: Card, opts: { customTemplate: boolean; mentions?: readonly string[]; locale?: Locale }): Record<string, string> {
  const all = buttonsOf(card);
  const buttonsValue = (rendered: Record<string, unknown>[]): string =>
    opts.customTemplate ? JSON.stringify(rendered) : JSON.stringify({ order: ['msgTitle', 'staticMsgContent', 'msgButtons'], msgButtons: rendered });
  // More buttons than the card shows (a Sentry alert has 7–8): the first MAX_BUTTONS stay buttons, the
  // rest are listed under the body as commands to type / links, so no action is lost. The same when
  // the buttons' JSON would pass the 1 KB value limit (long commands or URLs): fewer buttons.
  let shown = Math.min(MAX_BUTTONS, all.length);
  while (shown > 0 && bytes(buttonsValue(all.slice(0, shown).map(renderButton))) > MAX_CARD_VALUE_BYTES) shown--;
  const rendered = all.slice(0, shown).map(renderButton);
  const marker = truncationMarker(opts.locale);
  const keep = [overflowMarkdown(all.slice(shown)), mentionLine(opts.mentions)].filter(Boolean).join('\n\n');
  const md = fitHeadTail(bodyMarkdown(card), keep, MAX_CARD_VALUE_BYTES, { marker });
  const title = truncateBytes(card.title, MAX_CARD_VALUE_BYTES, { marker });
  const params: Record<string, string> = opts.customTemplate
    ? { title, tone: card.tone ?? 'info', markdown: md, buttons: buttonsValue(rendered) }
    : { flowStatus: '3', msgTitle: title, msgContent: '', staticMsgContent: md, sys_full_json_obj: buttonsValue(rendered) };
  for (const [k, v] of Object.entries(params)) if (bytes(v) > MAX_CARD_VALUE_BYTES) throw new DingtalkLimitError(`card value ${k} is ${bytes(v)} bytes (max ${MAX_CARD_VALUE_BYTES})`);
  checkSize('card data', JSON.stringify(params));
  return params;
}
