/**
 * Sample data for the card previews (issue 20 §1): one of every card kind in cards/, built by the real
 * card functions, so the preview shows exactly what a group would see. A new card kind gets a line here.
 */
import { confirmCard, deniedCard, internalErrorCard, noticeCard, whoamiCard } from '../../../cards/core.ts';
import { deployPlanCard } from '../../../cards/deploy-plan.ts';
import { deployTaskCard } from '../../../cards/deploy-task.ts';
import { gitlabMergeRequestCard } from '../../../cards/gitlab-merge-request.ts';
import { gitlabPipelineCard, gitlabPipelineListCard } from '../../../cards/gitlab-pipeline.ts';
import { gitlabTagCard } from '../../../cards/gitlab-tag.ts';
import { helpCommandCard, helpListCard, unknownCommandCard, usageCard, type CommandInfo } from '../../../cards/help.ts';
import type { Card } from '../../../cards/model.ts';
import { outboxCard } from '../../../cards/outbox.ts';
import { releaseCreatedCard, releasesCard } from '../../../cards/releases.ts';
import { sentryAlertCard, sentryDigestCard, sentryEscalationCard, type SentryAlertView } from '../../../cards/sentry-alert.ts';
import { statusCard } from '../../../cards/status.ts';
import { taskListCard } from '../../../cards/task-list.ts';
import type { DeployTask } from '../../deploy/tasks.ts';
import type { T } from './widgets.ts';

const NOW = Date.UTC(2026, 11, 2, 6, 0, 0);
const task: DeployTask = {
  id: '42', product: 'demo', release: 'v1.1.0', env: 'env-1', kind: 'deploy', state: 'running',
  components: { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' }, previousRelease: 'v1.0.0',
  requestedBy: { id: 'alice', name: 'Alice' }, chat: 'console', engine: 'command', createdAt: NOW - 60_000, startedAt: NOW - 55_000,
};
const alert: SentryAlertView = {
  key: '1234567', kind: 'issue', title: "TypeError: Cannot read properties of undefined (reading 'id')", level: 'error', shortId: 'DEMO-WEB-1A',
  project: 'demo-web', environment: 'production', culprit: 'app/checkout.ts in submit', release: 'v1.1.0', count: 17, userCount: 5,
  firstSeen: '2026-12-02T05:40:00.000000Z', lastSeen: '2026-12-02T05:58:00.000000Z', url: 'https://sentry.io/organizations/acme/issues/1234567/',
  status: 'open', rollback: { product: 'demo', env: 'env-1' }, history: [],
};
const info: CommandInfo = {
  name: 'deploy', aliases: ['dp'], summary: 'Deploy a release', usage: '/deploy <product> <release> <env>',
  examples: ['/deploy demo v1.1.0 env-1'], permission: 'deployer', confirm: true,
};

/** Every card kind, named by its module and function. */
export function sampleCards(t: T): { name: string; card: Card }[] {
  const tail = ['2026-12-02T05:59:01.000Z pull image registry.example.com/demo/component-a:v1.1.0', '2026-12-02T05:59:02.000Z run container component-a'];
  return [
    { name: 'sentry-alert: sentryAlertCard', card: sentryAlertCard(alert, t) },
    { name: 'sentry-alert: sentryEscalationCard', card: sentryEscalationCard({ ...alert, escalations: 1 }, 30, t) },
    { name: 'sentry-alert: sentryDigestCard', card: sentryDigestCard([{ key: '1', title: alert.title, project: 'demo-web', count: 17 }, { key: '2', title: 'Timeout calling payments', count: 3 }], t) },
    { name: 'deploy-task: deployTaskCard', card: deployTaskCard({ task, logTail: tail, now: NOW }, t) },
    { name: 'deploy-task: deployTaskCard (succeeded)', card: deployTaskCard({ task: { ...task, state: 'succeeded', finishedAt: NOW }, logTail: tail, now: NOW }, t) },
    {
      name: 'deploy-plan: deployPlanCard',
      card: deployPlanCard({ product: 'demo', release: 'v1.1.0', env: 'prod', protected: true, engine: 'gitlab-pipeline', currentRelease: 'v1.0.0', changes: [{ component: 'component-a', from: 'v1.0.0', to: 'v1.1.0' }, { component: 'component-b', from: 'v1.0.0', to: 'v1.0.0' }] }, t, { dryRun: true }),
    },
    { name: 'status: statusCard', card: statusCard([{ product: 'demo', environments: [{ env: 'env-1', protected: false, current: { release: 'v1.1.0', components: task.components, at: NOW, by: 'Alice', taskId: '42', kind: 'deploy' } }] }], t)[0]! },
    { name: 'task-list: taskListCard', card: taskListCard([task, { ...task, id: '41', state: 'succeeded', release: 'v1.0.0' }], 'demo', t) },
    { name: 'releases: releasesCard', card: releasesCard('demo', [{ product: 'demo', version: 'v1.1.0', components: task.components, source: 'config' }], t, { current: { 'env-1': 'v1.1.0' } }) },
    { name: 'releases: releaseCreatedCard', card: releaseCreatedCard({ product: 'demo', version: 'v1.2.0', components: task.components, source: 'chat', createdBy: 'Alice' }, t) },
    {
      name: 'gitlab-pipeline: gitlabPipelineCard',
      card: gitlabPipelineCard({ product: 'demo', project: 'group/demo', pipelineId: 901, ref: 'main', sha: '0123456789abcdef', commitTitle: 'Fix checkout', author: 'Alice', webUrl: 'https://gitlab.example.com/group/demo/-/pipelines/901', state: 'failed', failedJobs: [{ name: 'test', stage: 'test', failureReason: 'script_failure' }], durationSeconds: 312 }, t),
    },
    { name: 'gitlab-pipeline: gitlabPipelineListCard', card: gitlabPipelineListCard({ product: 'demo', ref: 'main', items: [{ id: 901, status: 'failed', ref: 'main', webUrl: 'https://gitlab.example.com/group/demo/-/pipelines/901', author: 'Alice', createdAt: '2026-12-02T05:50:00Z' }], now: NOW }, t) },
    { name: 'gitlab-merge-request: gitlabMergeRequestCard', card: gitlabMergeRequestCard({ product: 'demo', project: 'group/demo', iid: 7, title: 'Checkout: retry payments', author: 'Alice', mergedBy: 'Bob', sourceBranch: 'feat/retry', targetBranch: 'main', url: 'https://gitlab.example.com/group/demo/-/merge_requests/7' }, t) },
    { name: 'gitlab-tag: gitlabTagCard', card: gitlabTagCard({ product: 'demo', project: 'group/demo', tag: 'v1.2.0', sha: '0123456789abcdef', pushedBy: 'Alice', environments: [{ name: 'env-1', protected: false }, { name: 'prod', protected: true }], url: 'https://gitlab.example.com/group/demo/-/tags/v1.2.0' }, t) },
    { name: 'outbox: outboxCard', card: outboxCard([{ chat: 'dingtalk:cidXXXX', state: 'dead', attempts: 9, deadReason: 'budget', lastError: 'HTTP 503' }], t) },
    { name: 'help: helpListCard', card: helpListCard([info, { ...info, name: 'status', aliases: [], summary: 'Show what runs where', usage: '/status [product]', confirm: false, permission: 'anyone' }], t) },
    { name: 'help: helpCommandCard', card: helpCommandCard(info, t) },
    { name: 'help: usageCard', card: usageCard(info, ['release: required'], t) },
    { name: 'help: unknownCommandCard', card: unknownCommandCard('deplyo', 'deploy', t) },
    { name: 'core: confirmCard', card: confirmCard({ id: 'a1b2c3', text: '/deploy demo v1.1.0 prod', ttlMinutes: 5 }, t) },
    { name: 'core: deniedCard', card: deniedCard(t('core.denied.body', { name: 'deploy', roles: 'deployer', mine: '-' }), t) },
    { name: 'core: noticeCard', card: noticeCard(t('deploy.cancel.requested', { id: '42' }), 'info') },
    { name: 'core: internalErrorCard', card: internalErrorCard('1a2b3c4d', t) },
    { name: 'core: whoamiCard', card: whoamiCard({ platform: 'dingtalk', id: 'staff-001', person: 'Alice (alice)', roles: ['deployer'], chat: 'dingtalk:cidXXXX' }, t) },
  ];
}
