/**
 * Neutral Card → DingTalk payloads (chat-platforms.md §4.1, §4.4, §4.8):
 * - markdown (sessionWebhook `markdown` / OpenAPI `sampleMarkdown`): buttons become links or the
 *   exact command to type, never a dead button (the last-resort fallback of issue 5);
 * - the interactive-card `cardParamMap`: the public AI-card template (`msgButtons` with
 *   `request:true`, button id = encoded command, see actions.ts), or our own template's variables
 *   when `cardTemplateId` is configured;
 * - plain text (cardToText).
 */
import { BotError } from '../../core/errors.ts';
import { t, registerMessages, type Locale } from '../../core/i18n.ts';
import { cardToMarkdown, cardToText, type Button, type Card } from '../../../cards/model.ts';
import { encodeCommandId } from './actions.ts';

registerMessages({
  'zh-CN': { 'dingtalk.card.typeHint': '按钮不可用时，请 @机器人 并发送上面反引号中的命令。' },
  en: { 'dingtalk.card.typeHint': 'If the buttons do not work, @mention the bot with a command shown above.' },
});

/** The public AI-card template the official python SDK uses (§4.8, AIMarkdownCardInstance). */
export const PUBLIC_AI_CARD_TEMPLATE = '382e4302-551d-4880-bf29-a30acfab2e71.schema';
/** OpenAPI robot messages: msgParam ≤ 15000 bytes (§4.4). */
export const MAX_MSG_PARAM_BYTES = 15000;
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

/** Markdown message body `{title, text}` (also the fallback when interactive cards fail). */
export function renderMarkdown(card: Card, opts: { mentions?: readonly string[]; locale?: Locale } = {}): { title: string; text: string } {
  const parts = [cardToMarkdown(card)];
  const hasCommands = card.blocks.some((b) => b.kind === 'actions' && b.buttons.some((x) => 'command' in x.action));
  if (hasCommands) parts.push(`> ${t(opts.locale ?? 'zh-CN', 'dingtalk.card.typeHint')}`);
  const at = mentionLine(opts.mentions);
  if (at) parts.push(at);
  const out = { title: shortTitle(card.title), text: parts.join('\n\n') };
  checkSize('markdown message', JSON.stringify(out));
  return out;
}

/** Plain text reply `{content}` with `@staffId` tokens appended for the mentions. */
export function renderText(text: string, mentions: readonly string[] = []): { content: string } {
  const at = mentionLine(mentions);
  const out = { content: at ? `${text}\n${at}` : text };
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
function bodyMarkdown(card: Card): string {
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
export function renderCardParams(card: Card, opts: { customTemplate: boolean; mentions?: readonly string[] }): Record<string, string> {
  const all = buttonsOf(card);
  // More buttons than the card shows (a Sentry alert has 7–8): the first MAX_BUTTONS stay buttons, the
  // rest are listed under the body as commands to type / links, so no action is lost.
  const buttons = all.slice(0, MAX_BUTTONS);
  const rendered = buttons.map(renderButton);
  const at = mentionLine(opts.mentions);
  const md = [bodyMarkdown(card), overflowMarkdown(all.slice(MAX_BUTTONS)), at].filter(Boolean).join('\n\n');
  const params: Record<string, string> = opts.customTemplate
    ? { title: card.title, tone: card.tone ?? 'info', markdown: md, buttons: JSON.stringify(rendered) }
    : {
        flowStatus: '3',
        msgTitle: card.title,
        msgContent: '',
        staticMsgContent: md,
        sys_full_json_obj: JSON.stringify({ order: ['msgTitle', 'staticMsgContent', 'msgButtons'], msgButtons: rendered }),
      };
  checkSize('card data', JSON.stringify(params));
  return params;
}
