/**
 * Products, components and environments from config (issue 4 §1), with lookups that fail with a
 * user-facing error listing the valid choices. Releases live in releases.ts (config + store).
 */
import { UserFacingError } from '../core/errors.ts';
import { t, type Locale } from '../core/i18n.ts';
import type { EnvironmentConfig, ProductConfig, ProductsConfig } from './config.ts';

/** Compare version strings "semver-ish": `v1.10.0` > `v1.9.2` > `v1.9.2-rc1`; non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => v.replace(/^v/i, '').split(/[.+-]/);
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    // A pre-release suffix sorts before the plain version (1.0.0-rc1 < 1.0.0).
    if (x === undefined) return y === undefined ? 0 : /^\d+$/.test(y) ? -1 : 1;
    if (y === undefined) return /^\d+$/.test(x) ? 1 : -1;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) {
      if (!Number.isNaN(nx)) return 1;
      if (!Number.isNaN(ny)) return -1;
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** `component-a` → `COMPONENT_A` (the OPSBOT_VERSION_* variable suffix). */
export function componentEnvName(component: string): string {
  return component.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
}

/** Read-only view over `products` from config. */
export class DeployModel {
  constructor(
    readonly products: ProductsConfig,
    private readonly locale: Locale = 'zh-CN',
  ) {}

  productIds(): string[] {
    return Object.keys(this.products);
  }

  /** The product, or a UserFacingError listing the configured ones. */
  product(id: string): ProductConfig {
    const p = Object.hasOwn(this.products, id) ? this.products[id] : undefined;
    if (!p) throw new UserFacingError('E_NOT_FOUND', t(this.locale, 'deploy.error.unknownProduct', { product: id, valid: list(this.productIds()) }));
    return p;
  }

  /** The environment, or a UserFacingError listing the product's environments. */
  environment(productId: string, env: string): EnvironmentConfig {
    const p = this.product(productId);
    const e = Object.hasOwn(p.environments, env) ? p.environments[env] : undefined;
    if (!e) {
      throw new UserFacingError(
        'E_NOT_FOUND',
        t(this.locale, 'deploy.error.unknownEnv', { product: productId, env, valid: list(Object.keys(p.environments)) }),
      );
    }
    return e;
  }

  environmentIds(productId: string): string[] {
    return Object.keys(this.product(productId).environments);
  }
}

/** Join valid choices for an error message. */
export function list(values: string[]): string {
  return values.length ? values.join(', ') : '-';
}
