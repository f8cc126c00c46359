/** The progress card of one deploy/rollback task, updated in place (cardKey `task:<id>`; issue 4 §6). */
import type { DeployTask } from '../src/deploy/tasks.ts';
import { actions, code, commandButton, fields, linkButton, note, type Button, type Card } from './model.ts';
import { formatDuration, kindLabel, stateLabel, stateTone } from './deploy-format.ts';
import type { Translate } from './translate.ts';

export interface TaskCardInput {
  task: DeployTask;
  /** Last lines of the task log (already timestamped). */
  logTail: string[];
  now: number;
}

/** Strip the ISO timestamp the engines put in front of each line: the card shows the message. */
const bare = (line: string): string => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, '');

export function deployTaskCard({ task, logTail, now }: TaskCardInput, t: Translate): Card {
  const started = task.startedAt ?? task.createdAt;
  const end = task.finishedAt ?? now;
  const info = [
    { label: t('deploy.card.state'), value: stateLabel(task, t) },
    { label: t('deploy.card.by'), value: task.requestedBy.name },
  ];
  if (task.startedAt !== undefined) info.push({ label: t('deploy.card.duration'), value: formatDuration(end - started) });
  if (task.previousRelease) info.push({ label: t('deploy.card.previous'), value: task.previousRelease });
  // What the engine deploys to, in its own terms (`deployment/component-a in demo`): shown even without a link.
  if (task.engineRef?.external?.label) info.push({ label: t('deploy.card.target'), value: task.engineRef.external.label });

  const card: Card = {
    title: t('deploy.card.task.title', { kind: kindLabel(task, t), id: task.id, product: task.product, release: task.release, env: task.env }),
    tone: stateTone[task.state],
    blocks: [fields(info)],
  };
  if (logTail.length) card.blocks.push(code(logTail.map(bare).join('\n')));
  if (task.state === 'interrupted') {
    // 'replica lost' / 'lease lost': several replicas (issue 9); anything else: this bot restarted.
    const lost = task.reason === 'replica lost' || task.reason === 'lease lost';
    card.blocks.push(note(t(lost ? 'deploy.card.interruptedReplica' : 'deploy.card.interrupted')));
  }
  else if (task.cancelledBy && task.state === 'cancelled') card.blocks.push(note(t('deploy.card.cancelledBy', { who: task.cancelledBy })));
  else if (task.reason && task.state !== 'succeeded') card.blocks.push(note(t('deploy.card.reason', { reason: task.reason })));

  if (task.approval && task.state === 'waiting' && !task.approval.approvedBy) {
    card.blocks.push(note(t('deploy.card.awaitingApproval', { approvers: task.approval.approvers.join(', ') })));
  } else if (task.approval?.approvedBy) {
    card.blocks.push(note(t('deploy.card.approvedBy', { who: task.approval.approvedBy })));
  }

  const buttons: Button[] = [];
  if (task.state === 'waiting' && task.approval && !task.approval.approvedBy) {
    buttons.push(commandButton(t('deploy.card.approve'), `/task ${task.id} approve`, 'primary'));
  }
  if (task.state === 'waiting' || task.state === 'running') {
    buttons.push(commandButton(t('deploy.card.cancel'), `/cancel ${task.id}`, 'danger'));
  } else {
    if (task.state !== 'succeeded') {
      const retry = task.kind === 'rollback' ? `/rollback ${task.product} ${task.env} --to ${task.release}` : `/deploy ${task.product} ${task.release} ${task.env}`;
      buttons.push(commandButton(t('deploy.card.retry'), retry, 'primary'));
    }
    if (task.previousRelease && task.previousRelease !== task.release) {
      buttons.push(commandButton(t('deploy.card.rollback'), `/rollback ${task.product} ${task.env} --to ${task.previousRelease}`, 'danger'));
    }
  }
  if (task.engineRef?.webUrl) buttons.push(linkButton(t('deploy.card.pipeline'), task.engineRef.webUrl));
  if (buttons.length) card.blocks.push(actions(buttons));
  return card;
}
