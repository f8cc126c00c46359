import { describe, expect, it } from 'vitest';
import { deployPlanCard } from '../../cards/deploy-plan.ts';
import { deployTaskCard } from '../../cards/deploy-task.ts';
import { formatDuration } from '../../cards/deploy-format.ts';
import { cardToText } from '../../cards/model.ts';
import { releasesCard } from '../../cards/releases.ts';
import { statusCard } from '../../cards/status.ts';
import { taskListCard } from '../../cards/task-list.ts';
import { t, type Locale } from '../../src/core/i18n.ts';
import type { DeployTask } from '../../src/deploy/tasks.ts';

const tr = (locale: Locale) => (k: string, v?: Record<string, string | number>) => t(locale, k, v);
const base: DeployTask = {
  id: '12',
  product: 'demo',
  release: 'v1.1.0',
  env: 'env-1',
  kind: 'deploy',
  state: 'running',
  components: { 'component-a': 'v1.1.0' },
  previousRelease: 'v1.0.0',
  requestedBy: { id: 'alice', name: 'Alice' },
  chat: 'test:room',
  engine: 'command',
  createdAt: 0,
  startedAt: 1000,
};

describe('deploy cards', () => {
  it('task card: running has Cancel, shows the log without timestamps and the duration', () => {
    const c = deployTaskCard({ task: base, logTail: ['2026-11-23T10:00:00.000Z pull image x'], now: 76000 }, tr('en'));
    const text = cardToText(c);
    expect(text).toContain('Deploy #12: demo v1.1.0 → env-1');
    expect(text).toContain('1m15s');
    expect(text).toContain('  pull image x');
    expect(text).toContain('[Cancel: /cancel 12]');
    expect(c.tone).toBe('info');
  });

  it('task card: failure offers Retry and Rollback; success of a pipeline links to it', () => {
    const failed = cardToText(deployTaskCard({ task: { ...base, state: 'failed', reason: 'exit code 1', finishedAt: 5000 }, logTail: [], now: 9 }, tr('en')));
    expect(failed).toContain('[Retry: /deploy demo v1.1.0 env-1]');
    expect(failed).toContain('[Roll back: /rollback demo env-1 --to v1.0.0]');
    expect(failed).toContain('Reason: exit code 1');
    const ok = deployTaskCard(
      { task: { ...base, state: 'succeeded', engine: 'gitlab-pipeline', engineRef: { webUrl: 'https://gl/p/1' } }, logTail: [], now: 9 },
      tr('zh-CN'),
    );
    expect(ok.tone).toBe('success');
    expect(cardToText(ok)).toContain('部署 #12');
    expect(cardToText(ok)).toContain('https://gl/p/1');
    expect(cardToText(ok)).not.toContain('/cancel');
  });

  it('interrupted task says why', () => {
    expect(cardToText(deployTaskCard({ task: { ...base, state: 'interrupted' }, logTail: [], now: 0 }, tr('en')))).toContain('restarted');
  });

  it('plan, status, releases and tasks cards', () => {
    const plan = cardToText(
      deployPlanCard(
        { product: 'demo', release: 'v1.1.0', env: 'prod', protected: true, engine: 'gitlab-pipeline', currentRelease: 'v1.0.0', changes: [{ component: 'a', from: 'v1', to: 'v2' }] },
        tr('en'),
        { dryRun: true },
      ),
    );
    expect(plan).toContain('a: v1 → v2');
    expect(plan).toContain('Dry run');
    const status = statusCard(
      [{ product: 'demo', environments: [{ env: 'env-1', protected: false, current: { release: 'v1.1.0', components: { a: 'v2' }, at: 0, by: 'Alice', taskId: '1', kind: 'deploy' }, lastTask: { ...base, state: 'succeeded' } }, { env: 'prod', protected: true }] }],
      tr('en'),
    );
    const st = cardToText(status[0]!);
    expect(st).toContain('env-1**: v1.1.0');
    expect(st).toContain('deployed 1970-01-01 00:00Z by Alice');
    expect(st).toContain('last task #12');
    expect(st).toContain('not deployed by the bot yet');
    const rel = cardToText(releasesCard('demo', [{ product: 'demo', version: 'v1.1.0', components: { a: 'v2' }, source: 'config' }], tr('en'), { current: { 'env-1': 'v1.1.0' } }));
    expect(rel).toContain('**v1.1.0** [env-1]: a v2');
    expect(cardToText(taskListCard([base], 'demo', tr('en')))).toContain('#12 running · Deploy demo v1.1.0 → env-1 · Alice');
    expect(cardToText(taskListCard([], undefined, tr('en')))).toContain('No tasks');
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(3_600_000 * 2 + 60_000 * 5)).toBe('2h05m');
  });
});
