/**
 * GitLab pipeline cards (pure): the failure card (one per pipeline, updated in place as it is retried
 * and recovers; gitlab.md §4.3) and the `/gitlab pipelines` list.
 */
import { actions, commandButton, fields, linkButton, markdown, note, type Button, type Card, type Field } from './model.ts';
import type { Translate } from './translate.ts';

export interface PipelineJobView {
  name: string;
  stage?: string;
  failureReason?: string;
  webUrl?: string;
  allowFailure?: boolean;
}

export interface PipelineCardView {
  product: string;
  project: string;
  pipelineId: number;
  ref: string;
  sha: string;
  commitTitle?: string;
  commitUrl?: string;
  author?: string;
  webUrl: string;
  /** failed: red with Retry; retrying: the same card while it runs again; recovered: green. */
  state: 'failed' | 'retrying' | 'recovered' | 'canceled' | 'succeeded';
  failedJobs: PipelineJobView[];
  /** For `recovered`: the pipeline whose failure this success ends (may be this one, after a retry). */
  recoveredFrom?: number;
  durationSeconds?: number;
}

const TONE: Record<PipelineCardView['state'], Card['tone']> = {
  failed: 'danger', retrying: 'info', recovered: 'success', canceled: 'warning', succeeded: 'success',
};

/** `1h 2m 3s` style duration. */
export function formatDuration(s: number): string {
  const sec = Math.round(s);
  const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), r = sec % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', r || (!h && !m) ? `${r}s` : ''].filter(Boolean).join(' ');
}

function jobLine(j: PipelineJobView, t: Translate): string {
  const name = j.webUrl ? `[${j.name}](${j.webUrl})` : j.name;
  const bits = [j.stage ? `${j.stage} / ${name}` : name];
  if (j.failureReason) bits.push(`\`${j.failureReason}\``);
  if (j.allowFailure) bits.push(t('gitlab.pipeline.allowedToFail'));
  return `- ${bits.join(' ')}`;
}

/** The card for one pipeline; `cardKey` is `gitlab:pipeline:<id>`. */
export function gitlabPipelineCard(v: PipelineCardView, t: Translate): Card {
  const commit = v.commitTitle ? `${v.sha.slice(0, 8)} ${v.commitTitle}` : v.sha.slice(0, 8);
  const fs: Field[] = [
    { label: t('gitlab.pipeline.ref'), value: v.ref },
    { label: t('gitlab.pipeline.commit'), value: v.commitUrl ? `[${commit}](${v.commitUrl})` : commit },
  ];
  if (v.author) fs.push({ label: t('gitlab.pipeline.author'), value: v.author });
  fs.push({ label: t('gitlab.pipeline.project'), value: v.project });
  if (v.durationSeconds != null && v.state !== 'retrying') fs.push({ label: t('gitlab.pipeline.duration'), value: formatDuration(v.durationSeconds) });
  const blocks: Card['blocks'] = [];
  if (v.state === 'recovered' && v.recoveredFrom !== undefined) {
    blocks.push(markdown(t('gitlab.pipeline.recoveredFrom', { ref: v.ref, from: v.recoveredFrom })));
  }
  blocks.push(fields(fs));
  // While retrying, the payload's jobs are being re-run: the old failure list would be stale.
  if (v.state === 'failed') {
    const failing = v.failedJobs.filter((j) => !j.allowFailure);
    const shown = failing.length ? failing : v.failedJobs;
    blocks.push(markdown([t('gitlab.pipeline.failedJobs'), ...(shown.length ? shown.map((j) => jobLine(j, t)) : [t('gitlab.pipeline.noFailedJobs')])].join('\n')));
  }
  if (v.state === 'retrying') blocks.push(note(t('gitlab.pipeline.retrying')));
  const buttons: Button[] = [];
  if (v.state === 'failed') buttons.push(commandButton(t('gitlab.button.retry'), `/gitlab retry ${v.product} ${v.pipelineId}`, 'primary'));
  if (v.webUrl) buttons.push(linkButton(t('gitlab.button.open'), v.webUrl));
  if (buttons.length) blocks.push(actions(buttons));
  return { title: t(`gitlab.pipeline.title.${v.state}`, { product: v.product, ref: v.ref, id: v.pipelineId }), tone: TONE[v.state], blocks };
}

export interface PipelineListItem {
  id: number;
  status: string;
  ref: string;
  webUrl: string;
  author?: string;
  createdAt?: string;
}

const ICON: Record<string, string> = { success: '✅', failed: '❌', running: '🔄', pending: '⏳', canceled: '⛔', canceling: '⛔', skipped: '⏭', manual: '✋', created: '🆕', scheduled: '🕒' };

/** `3 分钟前` / `3 min ago` from two instants (ms). */
export function formatAge(fromMs: number, nowMs: number, t: Translate): string {
  const s = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (s < 60) return t('gitlab.age.seconds', { n: s });
  if (s < 3600) return t('gitlab.age.minutes', { n: Math.floor(s / 60) });
  if (s < 86400) return t('gitlab.age.hours', { n: Math.floor(s / 3600) });
  return t('gitlab.age.days', { n: Math.floor(s / 86400) });
}

/** `/gitlab pipelines <product> [ref]`: the last N with status, ref, author, age and link. */
export function gitlabPipelineListCard(v: { product: string; ref?: string; items: PipelineListItem[]; now: number }, t: Translate): Card {
  const lines = v.items.map((p) => {
    const at = p.createdAt ? Date.parse(p.createdAt) : NaN;
    return t('gitlab.list.line', {
      icon: ICON[p.status] ?? '•', id: p.id, url: p.webUrl, ref: p.ref, status: p.status,
      author: p.author ?? '-', age: Number.isNaN(at) ? '-' : formatAge(at, v.now, t),
    });
  });
  return {
    title: t('gitlab.list.title', { product: v.product, ref: v.ref ? ` (${v.ref})` : '' }),
    tone: 'info',
    blocks: [markdown(lines.length ? lines.join('\n') : t('gitlab.list.empty'))],
  };
}
