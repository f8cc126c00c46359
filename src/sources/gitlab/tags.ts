/**
 * Tags (issue 8 §3, §5): a tag on a product's project is a release candidate (card with Deploy
 * buttons); a tag on a component's project registers that component version, and a product's
 * `releasesFromTags` rule can turn it into a product release, stored where the deploy feature reads
 * run-time releases (collection `releases`, key `<product>/<version>`) and announced in the chat.
 */
import { gitlabTagCard, type TagCardView } from '../../../cards/gitlab-tag.ts';
import type { Product } from '../../config/schema.ts';
import { releasesFromTagsSchema, type ReleasesFromTags } from './config.ts';
import type { GitlabTagEvent } from './events.ts';
import type { ReactionContext } from './reactions.ts';
import { matchProject, productChats } from './routing.ts';
import type { Release } from '../../deploy/releases.ts';

/** The deploy feature's release document: tags write into the same `releases` collection. */
type StoredRelease = Release;

export interface ComponentVersion {
  product: string;
  component: string;
  version: string;
  sha?: string;
  at: number;
}

function ruleOf(product: Product): ReleasesFromTags | undefined {
  const raw = (product as Record<string, unknown>).releasesFromTags;
  if (raw === undefined) return undefined;
  const r = releasesFromTagsSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export async function handleTagCreated(ctx: ReactionContext, tg: GitlabTagEvent, at: number): Promise<void> {
  const { config, store } = ctx.services;
  const versions = store.collection<ComponentVersion>('gitlab-component-versions', { tier: 'hot' });
  const releases = store.collection<StoredRelease>('releases', { tier: 'hot' });
  const path = tg.project.path ?? String(tg.project.id);
  for (const m of matchProject(config, tg.project.path, tg.project.id)) {
    const product = config.products[m.product];
    if (!product) continue;
    if (m.component) {
      await versions.put(`${m.product}/${m.component}`, { product: m.product, component: m.component, version: tg.tag, ...(tg.sha ? { sha: tg.sha } : {}), at });
    }
    const rule = ruleOf(product);
    let release: TagCardView['release'];
    if (rule && new RegExp(rule.pattern).test(tg.tag) && VERSION_RE.test(tg.tag) && (!rule.component || rule.component === m.component)) {
      const components: Record<string, string> = {};
      const missing: string[] = [];
      const latest = await latestComponents(ctx, m.product, product);
      for (const c of product.components) {
        // A tag on the product's own project (monorepo) pins every component to it.
        const v = !m.component || c === m.component ? tg.tag : ((await versions.get(`${m.product}/${c}`))?.version ?? latest[c]);
        if (v === undefined) missing.push(c);
        else components[c] = v;
      }
      if (missing.length) {
        ctx.log.warn({ product: m.product, tag: tg.tag, missing }, 'releasesFromTags: no known version for some components; no release made');
      } else if (product.releases[tg.tag] === undefined) {
        const doc: StoredRelease = { product: m.product, version: tg.tag, components, source: 'chat', createdBy: `gitlab:${tg.user?.username ?? tg.user?.name ?? 'tag'}`, createdAt: at };
        if (await releases.insertIfAbsent(`${m.product}/${tg.tag}`, doc)) release = { component: m.component ?? m.product, components };
      }
    }
    // A component tag without a release is registered silently: it is not deployable by itself.
    if (m.component && !release) continue;
    const card = gitlabTagCard({
      product: m.product, project: path, tag: tg.tag,
      environments: Object.entries(product.environments).map(([name, env]) => ({ name, protected: env.protected })),
      ...(tg.sha ? { sha: tg.sha } : {}),
      ...(tg.user?.name ?? tg.user?.username ? { pushedBy: (tg.user?.name ?? tg.user?.username)! } : {}),
      ...(tg.project.webUrl ? { url: `${tg.project.webUrl}/-/tags/${encodeURIComponent(tg.tag)}` } : {}),
      ...(release ? { release } : {}),
    }, ctx.t);
    await ctx.send(productChats(config, m.product), card, `gitlab:tag:${m.product}:${tg.tag}`);
  }
}

/** The newest release's component versions (config and stored), as the fallback for unregistered components. */
async function latestComponents(ctx: ReactionContext, productId: string, product: Product): Promise<Record<string, string>> {
  const stored = await ctx.services.store.collection<StoredRelease>('releases', { tier: 'hot' }).list({ filter: (r) => r.product === productId });
  const all = [...Object.entries(product.releases).map(([version, components]) => ({ version, components })), ...stored];
  all.sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }));
  return all[0]?.components ?? {};
}
