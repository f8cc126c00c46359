/** The plan of a deploy (`--dry-run`): which component versions change. */
import type { DeployPlan } from '../src/deploy/plan.ts';
import { markdown, note, fields, type Card } from './model.ts';
import type { Translate } from './translate.ts';

export function deployPlanCard(plan: DeployPlan, t: Translate, opts: { dryRun?: boolean } = {}): Card {
  const lines = plan.changes.map((c) =>
    c.from === c.to
      ? '- ' + t('deploy.plan.same', { component: c.component, to: c.to })
      : '- ' + t('deploy.plan.change', { component: c.component, from: c.from ?? '-', to: c.to }),
  );
  const card: Card = {
    title: t('deploy.plan.title', { product: plan.product, release: plan.release, env: plan.env }),
    tone: 'info',
    blocks: [fields([{ label: t('deploy.plan.current'), value: plan.currentRelease ?? t('deploy.plan.none') }]), markdown(lines.join('\n'))],
  };
  if (!plan.changes.some((c) => c.from !== c.to)) card.blocks.push(note(t('deploy.plan.nothing')));
  if (plan.protected) card.blocks.push(note(t('deploy.plan.protected', { env: plan.env })));
  if (opts.dryRun) card.blocks.push(note(t('deploy.plan.dryRun')));
  return card;
}
