import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, gitlabPipelineCard, gitlabPipelineListCard, type PipelineCardView } from '../../cards/gitlab-pipeline.ts';
import { gitlabMergeRequestCard } from '../../cards/gitlab-merge-request.ts';
import { gitlabTagCard } from '../../cards/gitlab-tag.ts';
import { cardToMarkdown, cardToText } from '../../cards/model.ts';
import { t as translate, type Locale } from '../../src/core/i18n.ts';

const tr = (locale: Locale) => (key: string, vars?: Record<string, string | number>) => translate(locale, key, vars);
const zh = tr('zh-CN');
const en = tr('en');

const failed: PipelineCardView = {
  product: 'demo', project: 'group/demo', pipelineId: 31, ref: 'main', sha: 'bcbb5ec396a2c0f8', commitTitle: 'fix login',
  author: 'Alice', webUrl: 'https://g/-/pipelines/31', state: 'failed', durationSeconds: 3723,
  failedJobs: [
    { name: 'test', stage: 'test', failureReason: 'script_failure', webUrl: 'https://g/-/jobs/1' },
    { name: 'lint', stage: 'test', allowFailure: true },
  ],
};

describe('gitlab cards', () => {
  it('failure card defaults to zh-CN and lists the blocking failed jobs with links', () => {
    const c = gitlabPipelineCard(failed, zh);
    expect(c.title).toBe('流水线失败：demo main #31');
    const txt = cardToText(c);
    expect(txt).toContain('[test](https://g/-/jobs/1)');
    expect(txt).not.toContain('lint'); // allowed-to-fail jobs are hidden when real failures exist
    expect(txt).toContain('耗时: 1h 2m 3s');
    expect(txt).toContain('[重试: /gitlab retry demo 31]');
    expect(cardToMarkdown(c)).toContain('`/gitlab retry demo 31`');
  });

  it('every key used by the cards exists in both locales', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const t = tr(locale);
      const texts = [
        ...(['failed', 'retrying', 'recovered', 'canceled', 'succeeded'] as const).map((state) => cardToText(gitlabPipelineCard({ ...failed, state, recoveredFrom: 30 }, t))),
        cardToText(gitlabMergeRequestCard({ product: 'demo', project: 'g/d', iid: 4, title: 'T', author: 'A', mergedBy: 'B', sourceBranch: 'f', targetBranch: 'main', url: 'u' }, t)),
        cardToText(gitlabTagCard({ product: 'demo', project: 'g/d', tag: 'v1', sha: 'abcdef123', pushedBy: 'A', environments: [], url: 'u' }, t)),
        cardToText(gitlabTagCard({ product: 'demo', project: 'g/d', tag: 'v1', environments: [{ name: 'e', protected: false }], release: { component: 'a', components: { a: 'v1' } } }, t)),
        cardToText(gitlabPipelineListCard({ product: 'demo', items: [], now: 0 }, t)),
      ];
      for (const s of texts) expect(s).not.toMatch(/gitlab\.[a-z]+\.[a-zA-Z.]+/);
    }
  });

  it('failure card with only allowed-to-fail jobs still shows them', () => {
    const txt = cardToText(gitlabPipelineCard({ ...failed, failedJobs: [{ name: 'lint', allowFailure: true }] }, en));
    expect(txt).toContain('lint (allowed to fail)');
  });

  it('recovered card names the failed pipeline and has no Retry', () => {
    const c = gitlabPipelineCard({ ...failed, state: 'recovered', recoveredFrom: 30, pipelineId: 32 }, en);
    expect(c.tone).toBe('success');
    expect(cardToText(c)).toContain('main recovered (previously failed pipeline #30)');
    expect(cardToText(c)).not.toContain('/gitlab retry');
  });

  it('tag card: unprotected environments first, protected marked for confirmation', () => {
    const c = gitlabTagCard({ product: 'demo', project: 'g/d', tag: 'v2.0.0', environments: [{ name: 'prod', protected: true }, { name: 'env-1', protected: false }] }, zh);
    expect(c.title).toBe('候选版本：demo v2.0.0');
    const cmds = c.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : [])).map((b) => [b.label, 'command' in b.action ? b.action.command : '']);
    expect(cmds).toEqual([
      ['部署到 env-1', '/deploy demo v2.0.0 env-1'],
      ['部署到 prod（需确认）', '/deploy demo v2.0.0 prod'],
    ]);
  });

  it('MR card: title, author, link', () => {
    const c = gitlabMergeRequestCard({ product: 'demo', project: 'g/d', iid: 7, title: 'Add login', author: 'Alice', sourceBranch: 'f', targetBranch: 'main', url: 'https://g/mr/7' }, en);
    expect(c.title).toBe('Merge request merged: demo !7');
    expect(cardToText(c)).toContain('**Add login**');
    expect(cardToText(c)).toContain('https://g/mr/7');
  });

  it('pipeline list: status, ref, author, age, link', () => {
    const now = Date.parse('2024-01-01T12:00:00Z');
    const c = gitlabPipelineListCard({ product: 'demo', ref: 'main', now, items: [
      { id: 5, status: 'failed', ref: 'main', webUrl: 'https://g/5', author: 'Alice', createdAt: '2024-01-01T11:57:00Z' },
      { id: 4, status: 'success', ref: 'main', webUrl: 'https://g/4' },
    ] }, en);
    expect(c.title).toBe('Latest pipelines of demo (main)');
    const txt = cardToText(c);
    expect(txt).toContain('❌ [#5](https://g/5) `main` failed · Alice · 3 min ago');
    expect(txt).toContain('✅ [#4](https://g/4) `main` success · - · -');
  });

  it('formats durations and ages', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(63)).toBe('1m 3s');
    expect(formatDuration(7200)).toBe('2h');
    expect(formatAge(0, 30_000, zh)).toBe('30 秒前');
    expect(formatAge(0, 3 * 86400_000, en)).toBe('3 d ago');
    expect(formatAge(0, 2 * 3600_000, en)).toBe('2 h ago');
  });
});
