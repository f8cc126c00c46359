/**
 * Who is who: platform sender → configured person (from `people`), and whether they may run a command.
 * An unknown sender is a viewer: commands with permission `anyone` only.
 */
import type { Config } from '../config/schema.ts';
import type { Permission, PersonRef } from './define-command.ts';
import type { Sender } from './message.ts';

/** The console speaks as a local admin unless `chat.console: { as: <person> }`. */
export const CONSOLE_ADMIN: PersonRef = { id: 'console', name: 'console', roles: ['admin'] };

export function resolvePerson(config: Config, sender: Sender): PersonRef | undefined {
  if (sender.platform === 'console') {
    const c = config.chat.console;
    if (typeof c === 'object') {
      const p = config.people[c.as];
      return p ? { id: c.as, name: p.name, roles: p.roles } : undefined;
    }
    return CONSOLE_ADMIN;
  }
  for (const [id, p] of Object.entries(config.people)) {
    const platformId = sender.platform === 'dingtalk' ? p.dingtalk : sender.platform === 'wecom' ? p.wecom : undefined;
    if (platformId !== undefined && platformId === sender.id) return { id, name: p.name, roles: p.roles };
    if (sender.platform === 'test' && id === sender.id) return { id, name: p.name, roles: p.roles };
  }
  return undefined;
}

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
export function can(person: PersonRef | undefined, permission: Permission<never>): boolean {
  if (permission === 'anyone') return true;
  if (!person) return false;
  if (person.roles.includes('admin')) return true;
  const scoped = permission.scope !== undefined;
  return permission.roles.some((r) => person.roles.includes(r) || (scoped && person.roles.some((h) => h.startsWith(`${r}:`))));
}

/** May this person act on `product`: `admin`, a listed role, or a listed role for that product (`deployer:demo`). */
export function canOn(person: PersonRef | undefined, permission: Permission<never>, product: string): boolean {
  if (permission === 'anyone') return true;
  if (!person) return false;
  if (person.roles.includes('admin')) return true;
  return permission.roles.some((r) => person.roles.includes(r) || person.roles.includes(scopedRole(r, product)));
}

/** The roles that would let someone act on `product`, for the denial text: `deployer, deployer:demo`. */
export const rolesFor = (permission: Permission<never>, product: string): string[] =>
  permission === 'anyone' ? [] : permission.roles.flatMap((r) => [r, scopedRole(r, product)]);

/** Per-platform ids of configured people, for @mentions on the platform of `address`. */
export function platformIdsFor(config: Config, personIds: string[], address: string): string[] {
  const platform = address.split(':')[0] ?? '';
  const ids: string[] = [];
  for (const id of personIds) {
    const p = config.people[id];
    if (!p) continue;
    const v = platform === 'dingtalk' ? p.dingtalk : platform.startsWith('wecom') ? p.wecom : undefined;
    if (v) ids.push(v);
  }
  return ids;
}
