/**
 * Who is who across platforms, from `people` and each platform's own identity rules (transport.ts
 * PlatformIdentity, declared by its adapter): a sender → the configured person, a person → the id to
 * @mention in a given chat. Core and features ask here; only adapters know platform names.
 */
import type { Config } from '../config/schema.ts';
import type { PersonRef } from './define-command.ts';
import { platformOf, type ChatAddress, type Sender } from './message.ts';
import { mobileMention, type PlatformIdentity } from './transport.ts';

export class People {
  private readonly byPlatform = new Map<string, PlatformIdentity>();
  private readonly byPrefix = new Map<string, PlatformIdentity>();

  constructor(
    private readonly config: Config,
    identities: readonly PlatformIdentity[],
  ) {
    for (const i of identities) {
      this.byPlatform.set(i.platform, i);
      for (const p of i.addressPrefixes) this.byPrefix.set(p, i);
    }
  }

  /** The configured person who sent this, or undefined (an unknown sender is a viewer). */
  personOf(sender: Sender): PersonRef | undefined {
    const id = this.byPlatform.get(sender.platform)?.personOf(sender, this.config);
    if (id === undefined) return undefined;
    const p = this.config.people[id];
    // The console's built-in admin is not in `people`.
    return p ? { id, name: p.name, roles: p.roles } : id === CONSOLE_ADMIN.id ? CONSOLE_ADMIN : undefined;
  }

  /** A configured person's display name (the id when unknown). */
  nameOf(personId: string): string {
    return this.config.people[personId]?.name ?? personId;
  }

  /** The person's direct chats with the bot, one per platform that has one configured (on-call pages). */
  directChatsOf(personId: string): ChatAddress[] {
    const p = this.config.people[personId];
    if (!p) return [];
    const out: ChatAddress[] = [];
    for (const i of this.byPlatform.values()) {
      const a = i.directChatOf?.(p, this.config);
      if (a) out.push(a);
    }
    return out;
  }

  /** Person ids → the ids to @mention in `chat` (deduplicated; people the platform cannot reach are left out). */
  mentionsFor(chat: ChatAddress, personIds: readonly string[]): string[] {
    const identity = this.byPrefix.get(platformOf(chat));
    if (!identity) return [];
    const out: string[] = [];
    for (const id of personIds) {
      const p = this.config.people[id];
      const m = p ? identity.mentionOf(id, p) : undefined;
      if (m && !out.includes(m)) out.push(m);
    }
    return out;
  }
}

/** The console speaks as a local admin unless `chat.console: { as: <person> }`. */
export const CONSOLE_ADMIN: PersonRef = { id: 'console', name: 'console', roles: ['admin'] };

/**
 * The usual identity: `people.<id>.<key>` is the platform's user id, and that id is what a mention uses.
 * `byMobile`: the platform can also @ by phone number, so a person with only `mobile` is mentioned as
 * `tel:<mobile>` (transport.ts mobileMention).
 */
export function identityByKey(
  o: Pick<PlatformIdentity, 'platform' | 'addressPrefixes' | 'addressForms'> & { key: 'dingtalk' | 'wecom'; byMobile?: boolean },
): PlatformIdentity {
  return {
    platform: o.platform,
    addressPrefixes: o.addressPrefixes,
    addressForms: o.addressForms,
    personOf(sender, config) {
      for (const [id, p] of Object.entries(config.people)) if (p[o.key] !== undefined && p[o.key] === sender.id) return id;
      return undefined;
    },
    mentionOf: (_id, person) => person[o.key] ?? (o.byMobile && person.mobile ? mobileMention(person.mobile) : undefined),
  };
}
