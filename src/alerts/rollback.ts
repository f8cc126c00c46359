/**
 * The Rollback button of alert cards, for every source (issue 7 §3; issue 17 "the same as Sentry's"):
 * offered for a product environment the alert maps to, and, with deploy history, only where opsbot
 * deployed and (when the alert names a release) only if that release is what runs there.
 */
import type { Config } from '../config/schema.ts';

/** A rollback target when the product has the alert's environment. */
export function rollbackTarget(config: Config, product: string | undefined, env: string | undefined): { product: string; env: string } | undefined {
  if (!product || !env) return undefined;
  return config.products[product]?.environments[env] ? { product, env } : undefined;
}

/**
 * Rollback is offered for a known product/env; with deploy history (`currentDeploy`), only for an
 * environment opsbot deployed, and only if the alert's release (if any) is what runs there.
 */
export async function rollbackForAlert(
  config: Config,
  releaseFormat: string,
  currentDeploy: ((product: string, env: string) => Promise<{ release: string } | undefined>) | undefined,
  a: { product?: string | undefined; environment?: string | undefined; release?: string | undefined },
): Promise<{ product: string; env: string } | undefined> {
  const target = rollbackTarget(config, a.product, a.environment);
  if (!target || !currentDeploy) return target;
  try {
    const cur = await currentDeploy(target.product, target.env);
    if (!cur) return undefined;
    if (!a.release) return target;
    const formatted = releaseFormat.replace('{product}', target.product).replace('{release}', cur.release);
    return a.release === cur.release || a.release === formatted ? target : undefined;
  } catch {
    return undefined;
  }
}
