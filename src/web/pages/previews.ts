/**
 * Card previews (issue 20 §1): each sample card through the adapters' own renderers, so an admin sees
 * what DingTalk (interactive card params and markdown), WeCom (template card and markdown) and the
 * text fallback will show before anyone is paged.
 */
import { cardToText, type Card } from '../../../cards/model.ts';
import { renderCardParams, renderMarkdown as dingtalkMarkdown } from '../../adapters/dingtalk/render-card.ts';
import { renderMarkdown as wecomMarkdown, renderTemplateCard } from '../../adapters/wecom/render-card.ts';
import type { Locale } from '../../core/i18n.ts';
import { html, type SafeHtml } from '../html.ts';
import { alertPagePath, taskPagePath, withDetails, type CardLinks } from '../links.ts';
import { sampleCards } from './samples.ts';
import type { T } from './widgets.ts';

const json = (v: unknown): string => JSON.stringify(v, null, 2);
/** What a rendering throws (a platform limit) is shown instead of the payload: that is worth seeing too. */
const attempt = async (f: () => unknown): Promise<string> => {
  try {
    return String(await f());
  } catch (err) {
    return `⚠ ${err instanceof Error ? err.message : String(err)}`;
  }
};

async function renderings(card: Card, locale: Locale) {
  // WeCom button keys: the inline form the adapter uses for short commands (wecom/state.ts `c:`).
  const keyFor = async (command: string) => `c:${command}`;
  return {
    dingtalk: await attempt(() => `${json(renderCardParams(card, { customTemplate: false, locale }))}\n\n--- markdown ---\n${dingtalkMarkdown(card, { locale }).text}`),
    wecom: await attempt(async () => `${json(await renderTemplateCard(card, { taskId: 'preview', keyFor, locale }))}\n\n--- markdown ---\n${wecomMarkdown(card, { locale })}`),
    text: cardToText(card),
  };
}

/** The sample cards that carry a details link in the chat (deploy tasks, alerts) get one here too. */
function detailsPathOf(name: string): string | undefined {
  if (name.startsWith('deploy-task')) return taskPagePath('42');
  if (name.startsWith('sentry-alert: sentryAlertCard') || name.startsWith('sentry-alert: sentryEscalationCard')) return alertPagePath('1234567');
  return undefined;
}

export async function previewsPage(t: T, locale: Locale, links: CardLinks): Promise<SafeHtml> {
  const cards = sampleCards(t);
  const sections: SafeHtml[] = [];
  for (const { name, card } of cards) {
    const path = detailsPathOf(name);
    const r = await renderings(path ? withDetails(card, links, path) : card, locale);
    sections.push(html`<section data-card="${name}"><h2>${name}</h2><div class="preview">
<div data-platform="dingtalk"><strong>${t('web.previews.dingtalk')}</strong><pre>${r.dingtalk}</pre></div>
<div data-platform="wecom"><strong>${t('web.previews.wecom')}</strong><pre>${r.wecom}</pre></div>
<div data-platform="text"><strong>${t('web.previews.text')}</strong><pre>${r.text}</pre></div></div></section>`);
  }
  return html`<p class="muted">${t('web.previews.body')}</p>${sections}`;
}
