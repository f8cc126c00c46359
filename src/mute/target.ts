/** `/mute <product|project>`: a product id, else a Sentry project slug some product lists (config `sentryProjects`). */
import type { Config } from '../config/schema.ts';
import type { Mute } from './service.ts';

export interface MuteTarget {
  kind: Mute['kind'];
  target: string;
  /** The product it belongs to (permission scope). */
  product: string;
}

export function resolveMuteTarget(config: Config, name: string): MuteTarget | undefined {
  // Own keys only: `constructor` typed in chat is no product.
  if (Object.hasOwn(config.products, name)) return { kind: 'product', target: name, product: name };
  const owner = Object.entries(config.products).find(([, p]) => p.sentryProjects.includes(name));
  return owner ? { kind: 'project', target: name, product: owner[0] } : undefined;
}

/** The names /mute accepts, for the "unknown" answer. */
export function muteTargets(config: Config): string[] {
  return [...new Set([...Object.keys(config.products), ...Object.values(config.products).flatMap((p) => p.sentryProjects)])];
}
