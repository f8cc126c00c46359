/**
 * GitLab project → product (and component) → team chats (issue 8 §2). Pure over the config.
 * Paths compare case-insensitively (GitLab paths are case-insensitive for lookup).
 */
import type { Config } from '../../config/schema.ts';

export interface ProjectMatch {
  product: string;
  /** Set when the project is a component's project (`products.*.componentProjects`). */
  component?: string;
  /** The path as written in config (what the deploy engine compares against). */
  configuredPath: string;
}

const norm = (p: string) => p.trim().toLowerCase().replace(/^\/+|\/+$/g, '');

/**
 * Whether a configured project names this one: by path, or by numeric id (the API accepts both, gitlab.md
 * §3.1 "Project id: numeric or URL-encoded path"; webhooks carry both `project.id` and the path).
 */
function names(configured: string, path: string | undefined, id: number | undefined): boolean {
  if (id !== undefined && configured.trim() === String(id)) return true;
  return path !== undefined && norm(configured) === norm(path);
}

/** Every product that claims this project (path, or numeric id), the product-level `gitlabProject` first. */
export function matchProject(config: Config, path: string | undefined, projectId?: number): ProjectMatch[] {
  if (!path && projectId === undefined) return [];
  const out: ProjectMatch[] = [];
  for (const [id, p] of Object.entries(config.products)) {
    if (p.gitlabProject && names(p.gitlabProject, path, projectId)) out.push({ product: id, configuredPath: p.gitlabProject });
    for (const [component, proj] of Object.entries(p.componentProjects ?? {})) {
      if (names(proj, path, projectId)) out.push({ product: id, component, configuredPath: proj });
    }
  }
  return out;
}

/**
 * The spelling of this project used in config (product, component or deploy engine `project`; a path or
 * the numeric id), so
 * `deploy.pipeline.updated` matches the engine's string exactly; the payload's own path otherwise.
 */
export function configuredPath(config: Config, path: string, projectId?: number): string {
  for (const p of Object.values(config.products)) {
    const candidates = [p.gitlabProject, ...Object.values(p.componentProjects ?? {})];
    for (const env of Object.values(p.environments)) if (env.engine.type === 'gitlab-pipeline') candidates.push(env.engine.project);
    for (const c of candidates) if (c && names(c, path, projectId)) return c;
  }
  return path;
}

/** The product's team chats (empty when the product has no team or the team no chats). */
export function productChats(config: Config, product: string): string[] {
  const team = config.products[product]?.team;
  return team ? [...(config.teams[team]?.chats ?? [])] : [];
}

/** Refs that get failure/recovery cards: config `watchedRefs`, else the project's default branch, else main/master. */
export function watchedRefs(configured: string[] | undefined, defaultBranch: string | undefined): string[] {
  if (configured && configured.length) return configured;
  return defaultBranch ? [defaultBranch] : ['main', 'master'];
}

/** Whether a ref matches a watched pattern (`*` wildcard allowed, e.g. `release/*`). */
export function refWatched(ref: string, patterns: string[]): boolean {
  return patterns.some((p) => {
    if (!p.includes('*')) return p === ref;
    const re = new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
    return re.test(ref);
  });
}
