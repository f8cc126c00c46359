/**
 * Where lead time starts (issue 21 §2: "from the merge or tag that produced a release, when GitLab told
 * us"): GitLab's events on the bus (src/sources/gitlab/events.ts). A merged MR is remembered by its merge
 * commit (`merge_commit_sha`, gitlab.md merge request events); a tag on a product's own project names the
 * release of the same name, and when the tagged commit (`checkout_sha`) is a merge commit we saw, the
 * change started at the merge, else at the tag. Component tags become releases through `releasesFromTags`
 * (src/sources/gitlab/tags.ts), whose `createdAt` history.ts reads.
 */
import type { Config } from '../config/schema.ts';
import type { DomainEvent, EventBus } from '../core/events.ts';
import type { GitlabMergeRequestEvent, GitlabTagEvent } from '../sources/gitlab/events.ts';
import { matchProject } from '../sources/gitlab/routing.ts';
import type { Store } from '../store/types.ts';
import { recordChangeTime } from './history.ts';

export const MERGES_COLLECTION = 'metrics.merges';

/** Subscribes; returns the unsubscribe functions. */
export function recordChangeTimes(d: { config: Config; store: Store; events: EventBus }): (() => void)[] {
  const merges = d.store.collection<{ at: number }>(MERGES_COLLECTION, { tier: 'bulk', maxItems: 5000 });
  return [
    d.events.on('gitlab.merge_request.merged', async (e: DomainEvent<GitlabMergeRequestEvent>) => {
      const sha = e.payload.mergeCommitSha;
      if (sha) await merges.insertIfAbsent(`${e.payload.project.id}:${sha}`, { at: e.occurredAt });
    }),
    d.events.on('gitlab.tag.created', async (e: DomainEvent<GitlabTagEvent>) => {
      const products = matchProject(d.config, e.payload.project.path).filter((m) => !m.component);
      if (!products.length) return;
      const merged = e.payload.sha ? await merges.get(`${e.payload.project.id}:${e.payload.sha}`) : undefined;
      const at = merged && merged.at <= e.occurredAt ? merged.at : e.occurredAt;
      for (const m of products) await recordChangeTime(d.store, { product: m.product, release: e.payload.tag, at });
    }),
  ];
}
