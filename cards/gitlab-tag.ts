/**
 * The "release candidate" card for a new tag (pure), with a "Deploy to <env>" button per environment
 * running the normal `/deploy <product> <tag> <env>` path; protected environments get the deploy
 * command's confirmation step there (issue 8 §3), so their buttons only say so.
 */
import { actions, commandButton, fields, linkButton, markdown, note, type Button, type Card, type Field } from './model.ts';
import type { Translate } from './translate.ts';

export interface TagCardView {
  product: string;
  project: string;
  tag: string;
  sha?: string;
  pushedBy?: string;
  environments: { name: string; protected: boolean }[];
  /** Set when the tag made a product release (`releasesFromTags`): the pinned component versions. */
  release?: { component: string; components: Record<string, string> };
  url?: string;
}

export function gitlabTagCard(v: TagCardView, t: Translate): Card {
  const blocks: Card['blocks'] = [];
  if (v.release) {
    blocks.push(markdown(t('gitlab.tag.releaseBody', { tag: v.tag, component: v.release.component })));
    blocks.push(fields(Object.entries(v.release.components).map(([c, ver]) => ({ label: c, value: ver }))));
  } else {
    blocks.push(markdown(t('gitlab.tag.body', { tag: v.tag })));
  }
  const fs: Field[] = [{ label: t('gitlab.pipeline.project'), value: v.project }];
  if (v.sha) fs.push({ label: t('gitlab.pipeline.commit'), value: v.sha.slice(0, 8) });
  if (v.pushedBy) fs.push({ label: t('gitlab.tag.pushedBy'), value: v.pushedBy });
  blocks.push(fields(fs));
  // Unprotected first; protected ones go through /deploy's confirmation.
  const envs = [...v.environments].sort((a, b) => Number(a.protected) - Number(b.protected));
  const buttons: Button[] = envs.map((e) =>
    commandButton(
      t(e.protected ? 'gitlab.tag.deployToProtected' : 'gitlab.tag.deployTo', { env: e.name }),
      `/deploy ${v.product} ${v.tag} ${e.name}`,
      e.protected ? 'danger' : 'primary',
    ),
  );
  if (v.url) buttons.push(linkButton(t('gitlab.button.open'), v.url));
  if (!envs.length) blocks.push(note(t('gitlab.tag.noEnvironments')));
  if (buttons.length) blocks.push(actions(buttons));
  return { title: t(v.release ? 'gitlab.tag.releaseTitle' : 'gitlab.tag.title', { product: v.product, tag: v.tag }), tone: 'info', blocks };
}
