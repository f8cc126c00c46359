/**
 * Neutral replies → custom-robot bodies (chat-platforms.md §4.1–4.2, §4.7):
 * - text: `{msgtype:"text", text:{content}, at}`; markdown: `{msgtype:"markdown", markdown:{title,text}, at}`,
 *   with `@<userId>` / `@<mobile>` in the text as well (DingTalk highlights an @ only then, §4.1);
 * - a card with link buttons and nobody to @: `actionCard` with `btns[{title, actionURL}]` (URL only,
 *   nothing calls back, §4.7). Command buttons become links only when `commandUrl` is given (the
 *   feature builds it from `server.publicUrl`), else they are listed as commands to type;
 * - a card that must @ someone goes as markdown (links inline): `at` works on text and markdown, and
 *   for actionCard the doc lists no `at` [§4.2, unverified], so an actionCard would notify nobody;
 * - a robot with a keyword (自定义关键词) gets it appended when the text lacks it (§4.2).
 */
import type { Button, Card } from '../../../cards/model.ts';
import type { Locale } from '../../core/i18n.ts';
import type { Reply } from '../../core/message.ts';
import { truncateBytes, truncationMarker } from '../truncate.ts';
import { atField, type SplitMentions } from './mentions.ts';
import { bodyMarkdown, MAX_MSG_PARAM_BYTES, renderMarkdown, renderText } from './render-card.ts';

export interface RobotRenderOptions {
  mentions: SplitMentions;
  keyword?: string | undefined;
  /** A URL that runs `command` for the user who opens it (server.publicUrl); unset: typed commands. */
  commandUrl?: ((command: string) => string) | undefined;
  locale?: Locale | undefined;
}

/** Command buttons → link buttons where a command URL exists. */
function linkify(card: Card, commandUrl: RobotRenderOptions['commandUrl']): Card {
  if (!commandUrl) return card;
  return {
    ...card,
    blocks: card.blocks.map((b) =>
      b.kind === 'actions' ? { ...b, buttons: b.buttons.map((x): Button => ('command' in x.action ? { ...x, action: { url: commandUrl(x.action.command) } } : x)) } : b,
    ),
  };
}

const withKeyword = (s: string, keyword: string | undefined): string => (keyword && !s.includes(keyword) ? `${s}\n\n${keyword}` : s);

export function renderRobotMessage(reply: Reply, o: RobotRenderOptions): Record<string, unknown> {
  const locale = o.locale ? { locale: o.locale } : {};
  const at = o.mentions.all.length ? { at: atField(o.mentions) } : {};
  if (reply.kind === 'text') {
    const { content } = renderText(reply.text, o.mentions.tokens, locale);
    return { msgtype: 'text', text: { content: withKeyword(content, o.keyword) }, ...at };
  }
  const card = linkify(reply.card, o.commandUrl);
  const buttons = card.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
  const links = buttons.flatMap((b) => ('url' in b.action ? [{ title: b.label, actionURL: b.action.url }] : []));
  if (links.length > 0 && o.mentions.all.length === 0) {
    const typed = buttons.flatMap((b) => ('command' in b.action ? [`- ${b.label}: \`${b.action.command}\``] : []));
    const text = withKeyword([bodyMarkdown(card), ...typed].filter(Boolean).join('\n\n'), o.keyword);
    return {
      msgtype: 'actionCard',
      actionCard: {
        title: card.title.slice(0, 64),
        text: truncateBytes(text, MAX_MSG_PARAM_BYTES - 2048, { marker: truncationMarker(o.locale) }),
        btnOrientation: links.length <= 2 ? '1' : '0',
        btns: links,
      },
    };
  }
  const md = renderMarkdown(card, { mentions: o.mentions.tokens, ...locale });
  return { msgtype: 'markdown', markdown: { title: md.title, text: withKeyword(md.text, o.keyword) }, ...at };
}
