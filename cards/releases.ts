/** `/releases <product>`: releases newest first, each with its component versions. */
import type { Release } from '../src/deploy/releases.ts';
import { markdown, note, type Card } from './model.ts';
import type { Translate } from './translate.ts';

export function releasesCard(product: string, releases: Release[], t: Translate, opts: { current?: Record<string, string> } = {}): Card {
  const title = t('deploy.releases.title', { product });
  if (!releases.length) return { title, tone: 'info', blocks: [note(t('deploy.releases.none'))] };
  const envsOf = (version: string) =>
    Object.entries(opts.current ?? {})
      .filter(([, v]) => v === version)
      .map(([env]) => env);
  const lines = releases.map((r) => {
    const envs = envsOf(r.version);
    const by = r.source === 'chat' && r.createdBy ? ' ' + t('deploy.releases.fromChat', { by: r.createdBy }) : '';
    const comps = Object.entries(r.components).map(([c, v]) => `${c} ${v}`).join(' · ');
    return `- **${r.version}**${envs.length ? ` [${envs.join(', ')}]` : ''}${by}: ${comps}`;
  });
  return { title, tone: 'info', blocks: [markdown(lines.join('\n'))] };
}

/** The answer to `/release create`. */
export function releaseCreatedCard(r: Release, t: Translate): Card {
  return {
    title: t('deploy.releases.created', { product: r.product, release: r.version }),
    tone: 'success',
    blocks: [markdown(Object.entries(r.components).map(([c, v]) => `- ${c}: ${v}`).join('\n'))],
  };
}
