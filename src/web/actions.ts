/**
 * POST actions from the console (issue 20 §3): cancel, approve, roll back, ack, confirm. Each is the
 * command text of a card button, run through a Dispatcher as the signed-in person's chat sender, so
 * the permission check (core/permissions.ts and the spec's scope), the confirmation and the audit
 * entry are exactly the chat's. The page adds only what a browser needs: a session, a CSRF token and
 * a same-origin check.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Dispatcher } from '../core/dispatch.ts';
import type { Reply } from '../core/message.ts';
import type { RawRequest } from '../core/transport.ts';
import { html, type SafeHtml } from './html.ts';
import type { Session } from './sessions.ts';
import { sameToken } from './signing.ts';
import { cardHtml } from './pages/widgets.ts';

/** A console path to go back to: same-origin only (never `//host` or a scheme). */
const backPath = z.string().max(300).regex(/^\/ui(\/[A-Za-z0-9._~%:-]*)*$/, { error: 'back must be a console path' });

export const actionFormSchema = z.strictObject({
  csrf: z.string().min(1).max(200),
  command: z.string().trim().min(2).max(500).regex(/^\//, { error: 'command must start with /' }),
  back: backPath.default('/ui/tasks'),
});
export type ActionForm = z.infer<typeof actionFormSchema>;

export type FormCheck = { ok: true; form: ActionForm } | { ok: false; status: 400 | 403 | 415; reason: string };

/** Content type, same origin, shape and CSRF token of a POSTed form; the session is checked before. */
export function checkActionForm(req: RawRequest, session: Session): FormCheck {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, status: 415, reason: 'expected application/x-www-form-urlencoded' };
  // Browsers send Origin on POST; a different one is a cross-site form even if the cookie came along.
  const origin = req.headers.origin;
  if (origin && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.headers.host) return { ok: false, status: 403, reason: 'web.denied.403.csrf' };
  }
  const parsed = actionFormSchema.safeParse(Object.fromEntries(new URLSearchParams(req.rawBody.toString('utf8'))));
  if (!parsed.success) return { ok: false, status: 400, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  if (!sameToken(parsed.data.csrf, session.csrf)) return { ok: false, status: 403, reason: 'web.denied.403.csrf' };
  return { ok: true, form: parsed.data };
}

/** Run the command as the session's sender; its replies, as the chat would have shown them. */
export async function runAction(dispatcher: Dispatcher, session: Session, form: ActionForm, clock: () => number): Promise<Reply[]> {
  return dispatcher.dispatch({
    id: `web-${randomBytes(8).toString('hex')}`,
    platform: session.sender.platform,
    // As if typed in the chat /login came from: a deploy or rollback started here posts its card there,
    // and a confirmation proposed here is confirmed from here (core/confirm.ts keys on chat + sender).
    chat: session.chat,
    chatType: 'direct',
    sender: session.sender,
    text: form.command,
    receivedAt: clock(),
    fromAction: true,
  });
}

export function repliesHtml(replies: Reply[], session: Session, back: string): SafeHtml {
  const viewer = { kind: 'session' as const, name: session.name, csrf: session.csrf };
  return html`${replies.map((r) => (r.kind === 'text' ? html`<section><p>${r.text}</p></section>` : cardHtml(r.card, viewer, back)))}`;
}
