/**
 * The /outbox card: queued and dead sends per chat with the last error, and a retry button per chat
 * with dead sends (plus "all"). Pure: rows in, Card out; `cardToText` (model.ts) is its text rendering.
 */
import { actions, commandButton, markdown, note, type Button, type Card } from './model.ts';
import type { Translate } from './translate.ts';

/** One outbox entry as the card needs it (src/core/outbox-ledger.ts OutboxRow). */
export interface OutboxCardRow {
  chat: string;
  state: 'queued' | 'sending' | 'dead';
  attempts: number;
  cardKey?: string;
  lastError?: string;
  deadReason?: 'permanent' | 'budget';
}

/** Chats listed at most (the rest are counted in a note): a chat card has a size limit. */
const MAX_CHATS = 10;

export function outboxCard(rows: readonly OutboxCardRow[], t: Translate): Card {
  if (rows.length === 0) return { title: t('core.outbox.title'), tone: 'success', blocks: [markdown(t('core.outbox.empty'))] };
  const byChat = new Map<string, OutboxCardRow[]>();
  for (const r of rows) byChat.set(r.chat, [...(byChat.get(r.chat) ?? []), r]);
  const blocks: Card['blocks'] = [];
  const buttons: Button[] = [];
  let deadTotal = 0;
  for (const [chat, list] of [...byChat].slice(0, MAX_CHATS)) {
    const dead = list.filter((r) => r.state === 'dead');
    const queued = list.length - dead.length;
    deadTotal += dead.length;
    const last = [...list].reverse().find((r) => r.lastError);
    const lines = [`**${chat}**: ${t('core.outbox.counts', { queued, dead: dead.length })}`];
    if (last?.lastError) lines.push(t('core.outbox.lastError', { error: last.lastError, attempts: last.attempts }));
    blocks.push(markdown(lines.join('\n')));
    if (dead.length > 0) buttons.push(commandButton(t('core.outbox.retry', { chat }), `/outbox retry ${chat}`));
  }
  if (byChat.size > MAX_CHATS) blocks.push(note(t('core.outbox.more', { n: byChat.size - MAX_CHATS })));
  for (const [, list] of [...byChat].slice(MAX_CHATS)) deadTotal += list.filter((r) => r.state === 'dead').length;
  if (deadTotal > 0 && buttons.length !== 1) buttons.push(commandButton(t('core.outbox.retryAll'), '/outbox retry all', 'primary'));
  if (buttons.length > 0) blocks.push(actions(buttons));
  return { title: t('core.outbox.title'), tone: deadTotal > 0 ? 'danger' : 'warning', blocks };
}
