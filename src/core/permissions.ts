/**
 * Whether a person may run a command (who a sender is comes from people.ts). An unknown sender is a
 * viewer: commands with permission `anyone` only.
 */
import type { Permission, PersonRef } from './define-command.ts';

/**
 * Roles that may be held for one product only, as `<role>:<product>` (config `people.*.roles`, checked
 * at load against `products`): the deploy commands (/deploy, /rollback, /cancel, /release, /gitlab
 * retry|cancel) check them per product.
 */
export const SCOPABLE_ROLES: readonly string[] = ['deployer'];

/** `deployer` + `demo` → `deployer:demo`. */
export const scopedRole = (role: string, product: string): string => `${role}:${product}`;

/**
 * Pure permission check before the args are known; `admin` passes everything. For a product-scoped
 * permission a role held for any product passes here; the bot then checks the actual product (`canOn`).
 */
export function can(person: PersonRef | undefined, permission: Permission<never, never>): boolean {
  if (permission === 'anyone') return true;
  if (!person) return false;
  if (person.roles.includes('admin')) return true;
  const scoped = permission.scope !== undefined;
  return permission.roles.some((r) => person.roles.includes(r) || (scoped && person.roles.some((h) => h.startsWith(`${r}:`))));
}

/** May this person act on `product`: `admin`, a listed role, or a listed role for that product (`deployer:demo`). */
export function canOn(person: PersonRef | undefined, permission: Permission<never, never>, product: string): boolean {
  if (permission === 'anyone') return true;
  if (!person) return false;
  if (person.roles.includes('admin')) return true;
  return permission.roles.some((r) => person.roles.includes(r) || person.roles.includes(scopedRole(r, product)));
}

/** The roles that would let someone act on `product`, for the denial text: `deployer, deployer:demo`. */
export const rolesFor = (permission: Permission<never, never>, product: string): string[] =>
  permission === 'anyone' ? [] : permission.roles.flatMap((r) => [r, scopedRole(r, product)]);
