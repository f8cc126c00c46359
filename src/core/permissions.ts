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

/** Pure permission check; `admin` passes everything. */
export function can(person: PersonRef | undefined, permission: Permission): boolean {
  if (permission === 'anyone') return true;
  if (!person) return false;
  if (person.roles.includes('admin')) return true;
  return permission.roles.some((r) => person.roles.includes(r));
}

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
