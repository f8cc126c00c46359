/**
 * Who is signed in (issue 20 §3): one-time /login tokens and server-side sessions, both in the store
 * (so every replica knows them) and both stored under the hash of the bearer token only. A session
 * remembers the chat sender that asked for it, so the console acts through the same identity
 * resolution as the chat (core/people.ts): a role removed from the config is gone on the next request.
 */
import type { Sender } from '../core/message.ts';
import type { Collection, Store } from '../store/types.ts';
import { randomToken, tokenKey } from './signing.ts';

export interface LoginGrant {
  /** The stored key (the token's hash), so expired documents can be deleted. */
  key?: string;
  personId: string;
  name: string;
  sender: Sender;
  /** The chat /login was sent in: actions run as if typed there, so a task they start reports to that chat. */
  chat: string;
  expiresAt: number;
}

export interface Session extends LoginGrant {
  /** Sent with every POST form and compared in constant time (the cookie alone never acts). */
  csrf: string;
  createdAt: number;
}

export const SESSION_COOKIE = 'opsbot_session';

export class Sessions {
  private readonly grants: Collection<LoginGrant>;
  private readonly sessions: Collection<Session>;

  constructor(
    store: Store,
    private readonly o: { clock: () => number; loginTtlMs: number; sessionTtlMs: number },
  ) {
    this.grants = store.collection<LoginGrant>('web.login-tokens', { tier: 'hot' });
    this.sessions = store.collection<Session>('web.sessions', { tier: 'hot' });
  }

  /** A one-time login token for this sender's person. */
  async grant(g: Omit<LoginGrant, 'expiresAt'>): Promise<string> {
    const token = randomToken();
    const key = tokenKey(token);
    await this.grants.put(key, { ...g, key, expiresAt: this.o.clock() + this.o.loginTtlMs });
    return token;
  }

  /** The grant of a token without using it (the sign-in page shows whose it is). */
  async peek(token: string): Promise<LoginGrant | undefined> {
    const g = await this.grants.get(tokenKey(token));
    return g && g.expiresAt > this.o.clock() ? g : undefined;
  }

  /**
   * Use a login token: removed in the same locked read-modify-write that reads it, so two requests
   * racing with one token get one session between them. Returns the new session's cookie value.
   */
  async redeem(token: string): Promise<{ cookie: string; session: Session } | undefined> {
    let found: LoginGrant | undefined;
    await this.grants.update(tokenKey(token), (cur) => {
      found = cur;
      return undefined;
    });
    const now = this.o.clock();
    if (!found || found.expiresAt <= now) return undefined;
    await this.sweep(now);
    const cookie = randomToken();
    const key = tokenKey(cookie);
    const session: Session = { ...found, key, csrf: randomToken(), createdAt: now, expiresAt: now + this.o.sessionTtlMs };
    await this.sessions.put(key, session);
    return { cookie, session };
  }

  async get(cookie: string | undefined): Promise<Session | undefined> {
    if (!cookie || !/^[A-Za-z0-9_-]{20,100}$/.test(cookie)) return undefined;
    const s = await this.sessions.get(tokenKey(cookie));
    return s && s.expiresAt > this.o.clock() ? s : undefined;
  }

  /** Expired grants and sessions are dropped when a new session starts (no timer needed). */
  private async sweep(now: number): Promise<void> {
    for (const c of [this.grants, this.sessions] as Collection<LoginGrant>[]) {
      for (const old of await c.list({ filter: (v) => v.expiresAt <= now })) if (old.key) await c.delete(old.key);
    }
  }
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session: HttpOnly, SameSite=Lax (a tap on a link from the chat app still carries it), Secure on https. */
export function sessionCookie(value: string, o: { maxAgeSeconds: number; secure: boolean }): string {
  return `${SESSION_COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(o.maxAgeSeconds)}${o.secure ? '; Secure' : ''}`;
}
