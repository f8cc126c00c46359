/**
 * Where a DingTalk @ notifies (chat-platforms.md §4.1–4.5), and what to say when it cannot:
 * - interactive cards: `imGroupOpenDeliverModel.atUserIds` (staffIds only);
 * - sessionWebhook and custom-robot messages: `at: {atUserIds, atMobiles, isAtAll}`, with `@<userId>` /
 *   `@<mobile>` also written in the text (DingTalk highlights an @ only when it is in the text, §4.1);
 * - OpenAPI `groupMessages/send`: `msgParam` has no `at` field (§4.4), so nobody is notified there; the
 *   sender then names the people in the text ("需通知：Alice、Bob") and counts it.
 * Mentions arrive as staffIds or `tel:<mobile>` (core/transport.ts mobileMention).
 */
import type { Person } from '../../config/schema.ts';
import { mobileOfMention } from '../../core/transport.ts';
import { registerMessages, t, type Locale } from '../../core/i18n.ts';

registerMessages({
  'zh-CN': { 'dingtalk.notify': '需通知：{names}' },
  en: { 'dingtalk.notify': 'To notify: {names}' },
});

export interface SplitMentions {
  /** staffIds (`atUserIds`). */
  ids: string[];
  /** phone numbers (`atMobiles`). */
  mobiles: string[];
  /** What goes in the text: `@<userId>` / `@<mobile>` tokens' bodies, in order. */
  tokens: string[];
  all: string[];
}

export function splitMentions(mentions: readonly string[] = []): SplitMentions {
  const ids: string[] = [];
  const mobiles: string[] = [];
  const tokens: string[] = [];
  for (const m of mentions) {
    const mobile = mobileOfMention(m);
    if (mobile !== undefined) mobiles.push(mobile);
    else ids.push(m);
    tokens.push(mobile ?? m);
  }
  return { ids, mobiles, tokens, all: [...mentions] };
}

/** The `at` object of sessionWebhook / custom-robot bodies (§4.1, §4.2). */
export function atField(m: SplitMentions): { atUserIds: string[]; atMobiles: string[]; isAtAll: false } {
  return { atUserIds: m.ids, atMobiles: m.mobiles, isAtAll: false };
}

/** A mention → the person's configured name (or the mention itself when nobody matches). */
export function nameOfMention(mention: string, people: Record<string, Person> = {}): string {
  const mobile = mobileOfMention(mention);
  for (const p of Object.values(people)) {
    if (mobile !== undefined ? p.mobile === mobile : p.dingtalk === mention) return p.name;
  }
  return mobile ?? mention;
}

/** "需通知：Alice、Bob" / "To notify: Alice, Bob" for people an @ cannot reach on this path. */
export function notifyLine(mentions: readonly string[], people: Record<string, Person> | undefined, locale: Locale | undefined): string {
  const names = mentions.map((m) => nameOfMention(m, people));
  return t(locale ?? 'zh-CN', 'dingtalk.notify', { names: names.join(locale === 'en' ? ', ' : '、') });
}
