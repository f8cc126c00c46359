/** What a deploy would change (the `--dry-run` plan) and the per-environment status view. */
import type { DeploymentRecord } from './releases.ts';
import type { EngineType } from './engines/index.ts';
import type { DeployTask } from './tasks.ts';

export interface ComponentChange {
  component: string;
  from?: string;
  to: string;
}

export interface DeployPlan {
  product: string;
  release: string;
  env: string;
  protected: boolean;
  engine: EngineType;
  currentRelease?: string;
  /** Every component of the release; `from === to` means unchanged. */
  changes: ComponentChange[];
}

export interface EnvStatus {
  env: string;
  protected: boolean;
  current?: DeploymentRecord;
  lastTask?: DeployTask;
}

export interface ProductStatus {
  product: string;
  environments: EnvStatus[];
}

/** Pure: the release's components against what runs now. */
export function computeChanges(components: string[], target: Record<string, string>, current?: Record<string, string>): ComponentChange[] {
  const out: ComponentChange[] = [];
  for (const c of components) {
    const to = target[c];
    if (to === undefined) continue;
    const from = current?.[c];
    out.push(from === undefined ? { component: c, to } : { component: c, from, to });
  }
  return out;
}
