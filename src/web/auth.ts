/**
 * Access to a console page (issue 20 §2–4): a session cookie, else a signed link for exactly this path,
 * else nothing. No credentials: 401; a link that is expired or altered: 403. A signed link is read-only:
 * only a session (with its CSRF token) can POST.
 */
import type { RawRequest } from '../core/transport.ts';
import type { Viewer } from './layout.ts';
import { cookieValue, SESSION_COOKIE, type Session, type Sessions } from './sessions.ts';
import { checkSignature } from './signing.ts';

export type Access =
  | { ok: true; viewer: Viewer; session?: Session }
  | { ok: false; status: 401 | 403; reason: 'web.denied.401.body' | 'web.denied.403.expired' | 'web.denied.403.invalid' };

export interface Authenticator {
  /** Who may see `path` (the page's canonical path, as links.ts builds it). */
  access(req: RawRequest, path: string): Promise<Access>;
  session(req: RawRequest): Promise<Session | undefined>;
}

export function createAuthenticator(o: { secret: string; sessions: Sessions; clock: () => number }): Authenticator {
  const session = (req: RawRequest) => o.sessions.get(cookieValue(req.headers.cookie, SESSION_COOKIE));
  return {
    session,
    async access(req, path) {
      const s = await session(req);
      if (s) return { ok: true, viewer: { kind: 'session', name: s.name, csrf: s.csrf }, session: s };
      const exp = req.query.get('exp');
      const check = checkSignature(o.secret, path, exp, req.query.get('sig'), o.clock());
      if (check === 'valid') return { ok: true, viewer: { kind: 'link', until: Number(exp) * 1000 } };
      if (check === 'missing') return { ok: false, status: 401, reason: 'web.denied.401.body' };
      return { ok: false, status: 403, reason: check === 'expired' ? 'web.denied.403.expired' : 'web.denied.403.invalid' };
    },
  };
}
