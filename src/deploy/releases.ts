/**
 * Releases (config + created at run time, collection `releases`) and what is deployed where
 * (collection `deployments`, one document per product+environment with its history for rollback).
 */
import { UserFacingError } from '../core/errors.ts';
import { t, type Locale } from '../core/i18n.ts';
import type { Collection, Store } from '../store/types.ts';
import { compareVersions, list, type DeployModel } from './model.ts';

/** A release pins every component's version. */
export interface Release {
  product: string;
  version: string;
  components: Record<string, string>;
  source: 'config' | 'chat';
  createdBy?: string;
  createdAt?: number;
}

/** One successful deploy/rollback of a release to an environment. */
export interface DeploymentRecord {
  release: string;
  components: Record<string, string>;
  at: number;
  by: string;
  taskId: string;
  kind: 'deploy' | 'rollback';
}

export interface EnvDeployments {
  product: string;
  env: string;
  /** Oldest first; the last entry is what runs there now. */
  history: DeploymentRecord[];
}

/** Names we accept for releases and component versions created from chat (image-tag alphabet). */
export const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class ReleaseRegistry {
  private readonly stored: Collection<Release>;
  private readonly deployments: Collection<EnvDeployments>;

  constructor(
    private readonly model: DeployModel,
    store: Store,
    private readonly locale: Locale = 'zh-CN',
    private readonly historySize = 20,
  ) {
    this.stored = store.collection<Release>('releases', { tier: 'hot' });
    this.deployments = store.collection<EnvDeployments>('deployments', { tier: 'hot' });
  }

  /** All releases of a product, newest version first. */
  async list(productId: string): Promise<Release[]> {
    const p = this.model.product(productId);
    const byVersion = new Map<string, Release>();
    for (const [version, components] of Object.entries(p.releases ?? {})) {
      byVersion.set(version, { product: productId, version, components: { ...components }, source: 'config' });
    }
    for (const r of await this.stored.list({ filter: (r) => r.product === productId })) {
      if (!byVersion.has(r.version)) byVersion.set(r.version, r);
    }
    return [...byVersion.values()].sort((a, b) => compareVersions(b.version, a.version));
  }

  async latest(productId: string): Promise<Release | undefined> {
    return (await this.list(productId))[0];
  }

  /** The release, or a UserFacingError listing the known ones. */
  async get(productId: string, version: string): Promise<Release> {
    const all = await this.list(productId);
    const r = all.find((x) => x.version === version);
    if (!r) {
      throw new UserFacingError(
        'E_NOT_FOUND',
        t(this.locale, 'deploy.error.unknownRelease', { product: productId, release: version, valid: list(all.map((x) => x.version)) }),
      );
    }
    return r;
  }

  /**
   * `/release create <product> <version> comp=ver…`: components not named are inherited from the
   * latest release (issue 4 §1). Unknown components and malformed versions are refused.
   */
  async create(productId: string, version: string, overrides: Record<string, string>, by: string, at: number): Promise<Release> {
    const p = this.model.product(productId);
    if (!VERSION_RE.test(version)) throw new UserFacingError('E_USAGE', t(this.locale, 'deploy.error.badVersion', { version }));
    for (const [c, v] of Object.entries(overrides)) {
      if (!p.components.includes(c)) {
        throw new UserFacingError('E_NOT_FOUND', t(this.locale, 'deploy.error.unknownComponent', { component: c, valid: list(p.components) }));
      }
      if (!VERSION_RE.test(v)) throw new UserFacingError('E_USAGE', t(this.locale, 'deploy.error.badVersion', { version: v }));
    }
    const all = await this.list(productId);
    if (all.some((r) => r.version === version)) {
      throw new UserFacingError('E_CONFLICT', t(this.locale, 'deploy.error.releaseExists', { product: productId, release: version }));
    }
    const base = all[0]?.components ?? {};
    const components: Record<string, string> = {};
    const missing: string[] = [];
    for (const c of p.components) {
      const v = overrides[c] ?? base[c];
      if (v === undefined) missing.push(c);
      else components[c] = v;
    }
    if (missing.length) throw new UserFacingError('E_USAGE', t(this.locale, 'deploy.error.missingComponents', { components: list(missing) }));
    const release: Release = { product: productId, version, components, source: 'chat', createdBy: by, createdAt: at };
    const inserted = await this.stored.insertIfAbsent(`${productId}/${version}`, release);
    if (!inserted) throw new UserFacingError('E_CONFLICT', t(this.locale, 'deploy.error.releaseExists', { product: productId, release: version }));
    return release;
  }

  /** What runs on an environment now (undefined: never deployed by opsbot). */
  async current(productId: string, env: string): Promise<DeploymentRecord | undefined> {
    return (await this.deployments.get(`${productId}/${env}`))?.history.at(-1);
  }

  async history(productId: string, env: string): Promise<DeploymentRecord[]> {
    return (await this.deployments.get(`${productId}/${env}`))?.history ?? [];
  }

  /** Record a successful deploy or rollback. */
  async record(productId: string, env: string, rec: DeploymentRecord): Promise<void> {
    await this.deployments.update(`${productId}/${env}`, (cur) => {
      const history = [...(cur?.history ?? []), rec].slice(-this.historySize);
      return { product: productId, env, history };
    });
  }

  /**
   * Default rollback target: the release that ran there before the current one (skipping entries
   * of the current release itself, e.g. a redeploy of the same version). When opsbot has only ever
   * deployed the current release there (it cannot know what ran before it), the release just below
   * the current one in version order is the previous release (issue 4 "done when").
   */
  async rollbackTarget(productId: string, env: string): Promise<string | undefined> {
    const h = await this.history(productId, env);
    const cur = h.at(-1);
    if (!cur) return undefined;
    for (let i = h.length - 2; i >= 0; i--) {
      const r = h[i];
      if (r && r.release !== cur.release) return r.release;
    }
    return (await this.list(productId)).find((r) => compareVersions(r.version, cur.release) < 0)?.version;
  }
}
