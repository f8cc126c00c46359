/**
 * Pieces several pages share: a neutral card as HTML (the action result page shows the command's reply
 * cards), and a card's buttons as POST forms. A command button becomes a form that runs that command
 * text as the signed-in person (actions.ts), so a click on the page takes the same path as a click in
 * the chat; a signed (read-only) link shows no forms.
 */
import type { Button, Card } from '../../../cards/model.ts';
import { html, link, type SafeHtml } from '../html.ts';
import type { Viewer } from '../layout.ts';

export type T = (key: string, vars?: Record<string, string | number>) => string;

export function actionForms(buttons: readonly Button[], viewer: Viewer | undefined, back: string): SafeHtml {
  return html`${buttons.map((b) => {
    if ('url' in b.action) return html`<span class="inline">${link(b.action.url, b.label)}</span> `;
    if (viewer?.kind !== 'session') return html``;
    return html`<form class="inline" method="post" action="/ui/actions"><input type="hidden" name="csrf" value="${viewer.csrf}"><input type="hidden" name="command" value="${b.action.command}"><input type="hidden" name="back" value="${back}"><button type="submit" class="${b.style ?? 'default'}">${b.label}</button></form>`;
  })}`;
}

/** A neutral card as a section of the page (every text escaped; markdown shown as text). */
export function cardHtml(card: Card, viewer: Viewer | undefined, back: string): SafeHtml {
  return html`<section class="card tone-${card.tone ?? 'info'}"><h2>${card.title}</h2>${card.blocks.map((b) => {
    switch (b.kind) {
      case 'markdown':
        return html`<p class="md">${b.text}</p>`;
      case 'note':
        return html`<p class="muted">${b.text}</p>`;
      case 'code':
        return html`<pre>${b.text}</pre>`;
      case 'fields':
        return html`<dl>${b.fields.map((f) => html`<dt>${f.label}</dt><dd>${f.value}</dd>`)}</dl>`;
      case 'actions':
        return html`<div>${actionForms(b.buttons, viewer, back)}</div>`;
    }
  })}</section>`;
}

/** `2026-12-02 05:48 UTC` (the console shows UTC; the log lines carry their own ISO stamps). */
export const at = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
