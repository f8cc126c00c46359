/** Jenkins parameter templates (`{product}`, `{release}`, `{env}`, `{version:<component>}`) and build results. */
import type { DeployTask } from '../tasks.ts';
import type { EngineResult } from './types.ts';

const PLACEHOLDER = /\{([a-z]+)(?::([^{}]*))?\}/gi;

/** Problems of one parameter template (unknown placeholders, versions of components the product lacks). */
export function templateProblems(template: string, components: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const [whole, name, arg] = m;
    if (name === 'version' && arg !== undefined) {
      if (!components.includes(arg)) out.push(`${whole}: "${arg}" is not a component of the product (components: ${components.join(', ') || 'none'})`);
    } else if (arg !== undefined || !['product', 'release', 'env'].includes(name!)) {
      out.push(`${whole} is not a placeholder (use {product}, {release}, {env} or {version:<component>})`);
    }
  }
  return out;
}

/** A template with the task's values filled in (a component the release does not pin renders empty). */
export function renderTemplate(template: string, task: Pick<DeployTask, 'product' | 'release' | 'env' | 'components'>): string {
  return template.replace(PLACEHOLDER, (whole, name: string, arg: string | undefined) => {
    if (name === 'version' && arg !== undefined) return task.components[arg] ?? '';
    if (arg === undefined && (name === 'product' || name === 'release' || name === 'env')) return task[name];
    return whole;
  });
}

/** A finished build's result → engine outcome. ABORTED (and only that) is a cancelled deploy. */
export function mapBuildResult(result: string, successResults: readonly string[] = ['SUCCESS']): EngineResult {
  if (successResults.includes(result)) return { outcome: 'succeeded' };
  if (result === 'ABORTED') return { outcome: 'cancelled', reason: 'build aborted' };
  return { outcome: 'failed', reason: `build ${result}` };
}

// Pipeline builds write console notes into the plain-text log as ESC[8m ha:<base64> ESC[0m (hudson.console.ConsoleNote
// PREAMBLE/POSTAMBLE); they are markup for the HTML view, noise in ours. Colour codes (AnsiColor plugin) likewise.
