/** `/tasks [product]`: the newest tasks, one line each. */
import type { DeployTask } from '../src/deploy/tasks.ts';
import { markdown, note, type Card } from './model.ts';
import { formatTime, kindLabel, stateLabel } from './deploy-format.ts';
import type { Translate } from './translate.ts';

export function taskListCard(tasks: DeployTask[], product: string | undefined, t: Translate): Card {
  const title = product ? t('deploy.tasks.titleProduct', { product }) : t('deploy.tasks.title');
  if (!tasks.length) return { title, tone: 'info', blocks: [note(t('deploy.tasks.none'))] };
  const lines = tasks.map(
    (task) =>
      '- ' +
      t('deploy.tasks.line', {
        id: task.id,
        state: stateLabel(task, t),
        kind: kindLabel(task, t),
        product: task.product,
        release: task.release,
        env: task.env,
        by: task.requestedBy.name,
        when: formatTime(task.createdAt),
      }),
  );
  return { title, tone: 'info', blocks: [markdown(lines.join('\n'))] };
}
