/** Small cards of the core flow: permission denied, confirmation, internal error, whoami. */
import { actions, commandButton, fields, markdown, type Card } from './model.ts';
import type { Translate } from './translate.ts';

export function deniedCard(body: string, t: Translate): Card {
  return { title: t('core.denied.title'), tone: 'danger', blocks: [markdown(body)] };
}

export function confirmCard(p: { id: string; text: string; ttlMinutes: number }, t: Translate): Card {
  return {
    title: t('core.confirm.title', { text: p.text }),
    tone: 'warning',
    blocks: [
      markdown(t('core.confirm.body', { id: p.id, minutes: p.ttlMinutes })),
      actions([commandButton(t('core.confirm.button'), `/confirm ${p.id}`, 'danger'), commandButton(t('core.confirm.cancel'), '/cancel')]),
    ],
  };
}

export function internalErrorCard(errorId: string, t: Translate): Card {
  return { title: t('core.error.title'), tone: 'danger', blocks: [markdown(t('core.error.body', { errorId }))] };
}

export function noticeCard(title: string, tone: Card['tone'], body?: string): Card {
  return { title, ...(tone ? { tone } : {}), blocks: body ? [markdown(body)] : [] };
}

export function whoamiCard(
  w: { platform: string; id: string; person?: string; roles: string[]; chat: string },
  t: Translate,
): Card {
  return {
    title: t('core.whoami.title'),
    tone: 'info',
    blocks: [
      fields([
        { label: t('core.whoami.platform'), value: w.platform },
        { label: t('core.whoami.id'), value: w.id },
        { label: t('core.whoami.person'), value: w.person ?? t('core.whoami.unknown') },
        { label: t('core.whoami.roles'), value: w.roles.length ? w.roles.join(', ') : t('core.whoami.none') },
        { label: t('core.whoami.chat'), value: w.chat },
      ]),
    ],
  };
}
