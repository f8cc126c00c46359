/** `/status [product]`: per environment, what runs there, since when, by whom, and the last task. */
import type { ProductStatus } from '../src/deploy/plan.ts';
import { markdown, note, type Card } from './model.ts';
import { formatTime, kindLabel, stateLabel } from './deploy-format.ts';
import type { Translate } from './translate.ts';

export function statusCard(products: ProductStatus[], t: Translate): Card[] {
  if (!products.length) return [{ title: t('deploy.status.noProducts'), tone: 'info', blocks: [] }];
  return products.map((p) => {
    const blocks = p.environments.map((e) => {
      const head = t('deploy.status.env', {
        env: e.env,
        protected: e.protected ? t('deploy.status.protectedMark') : '',
        release: e.current?.release ?? t('deploy.status.never'),
      });
      const lines = [head];
      if (e.current) {
        lines.push(Object.entries(e.current.components).map(([c, v]) => `${c} ${v}`).join(' · '));
        lines.push(t('deploy.status.deployed', { when: formatTime(e.current.at), by: e.current.by }));
      }
      if (e.lastTask) {
        lines.push(
          t('deploy.status.lastTask', { id: e.lastTask.id, kind: kindLabel(e.lastTask, t), release: e.lastTask.release, state: stateLabel(e.lastTask, t) }),
        );
      }
      return markdown(lines.join('\n'));
    });
    const tone = p.environments.some((e) => e.lastTask?.state === 'failed') ? 'warning' : 'info';
    return { title: t('deploy.status.title', { product: p.product }), tone, blocks: blocks.length ? blocks : [note('-')] } satisfies Card;
  });
}
