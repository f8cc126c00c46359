/** The "merge request merged into the default branch" card (pure): title, author, link. */
import { actions, fields, linkButton, markdown, type Card, type Field } from './model.ts';
import type { Translate } from './translate.ts';

export interface MergeRequestCardView {
  product: string;
  project: string;
  iid: number;
  title: string;
  author?: string;
  mergedBy?: string;
  sourceBranch: string;
  targetBranch: string;
  url?: string;
}

export function gitlabMergeRequestCard(v: MergeRequestCardView, t: Translate): Card {
  const fs: Field[] = [{ label: t('gitlab.mr.branches'), value: `${v.sourceBranch} → ${v.targetBranch}` }];
  if (v.author) fs.push({ label: t('gitlab.pipeline.author'), value: v.author });
  if (v.mergedBy && v.mergedBy !== v.author) fs.push({ label: t('gitlab.mr.mergedBy'), value: v.mergedBy });
  fs.push({ label: t('gitlab.pipeline.project'), value: v.project });
  const blocks: Card['blocks'] = [markdown(t('gitlab.mr.body', { title: v.title })), fields(fs)];
  if (v.url) blocks.push(actions([linkButton(t('gitlab.button.open'), v.url)]));
  return { title: t('gitlab.mr.title', { product: v.product, iid: v.iid }), tone: 'success', blocks };
}
