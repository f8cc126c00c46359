/**
 * The console's routes (contract.md `GET /ui/...`): every page first asks auth.ts, so nothing renders
 * without a session or a signed link for that exact path (401/403 page otherwise). Storage failures
 * answer 503, malformed input 400 with the reason (style.md rules).
 */
import { BadRequestError, StorageUnavailableError, UserFacingError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import type { ServiceLookup } from '../core/feature.ts';
import type { Dispatcher } from '../core/dispatch.ts';
import type { Locale } from '../core/i18n.ts';
import type { HttpAnswer, RawRequest, WebhookRoute } from '../core/transport.ts';
import { DEPLOYS } from '../deploy/service.ts';
import type { Store } from '../store/types.ts';
import { checkActionForm, repliesHtml, runAction } from './actions.ts';
import type { Authenticator } from './auth.ts';
import { html, type SafeHtml } from './html.ts';
import { page, type Viewer } from './layout.ts';
import { alertPagePath, taskPagePath, type CardLinks } from './links.ts';
import { liveTail } from './live.ts';
import { alertPage, alertsPage, auditPage, productsPage, taskFilterSchema, tasksPage } from './pages/lists.ts';
import { previewsPage } from './pages/previews.ts';
import { taskPage } from './pages/task.ts';
import type { T } from './pages/widgets.ts';
import { sessionCookie, type Sessions } from './sessions.ts';
import { readAlerts, readFreezes } from './sources.ts';
import { signedPath } from './signing.ts';

export interface WebRouteDeps {
  auth: Authenticator;
  sessions: Sessions;
  links: CardLinks;
  dispatcher: Dispatcher;
  store: Store;
  events: EventBus;
  services: ServiceLookup;
  secret: string;
  locale: Locale;
  t: T;
  clock: () => number;
  sessionTtlMs: number;
  secureCookies: boolean;
  /** The process's secret redaction (core/redact.ts), applied to every page as a last line: secrets never render. */
  redact?: ((s: string) => string) | undefined;
}

type Rendered = { title: string; body: SafeHtml; script?: string; status?: number } | HttpAnswer;
type PageHandler = (req: RawRequest, viewer: Viewer) => Promise<Rendered>;

export function webRoutes(d: WebRouteDeps): WebhookRoute[] {
  const { t } = d;
  const message = (status: number, title: string, body: string, viewer?: Viewer): HttpAnswer =>
    page({ title, body: html`<section><p>${body}</p></section>`, viewer, locale: d.locale, t, status });
  const deploys = () => {
    const s = d.services.get(DEPLOYS);
    if (!s) throw new StorageUnavailableError('deploy service not ready');
    return s;
  };
  const redacted = (a: HttpAnswer): HttpAnswer => (d.redact && typeof a.body === 'string' ? { ...a, body: d.redact(a.body) } : a);
  const guard = (fn: () => Promise<HttpAnswer>): Promise<HttpAnswer> =>
    fn().then(redacted, (err: unknown) => {
      if (err instanceof BadRequestError) return message(400, t('web.error.400.title'), err.message);
      // What a command would answer in chat (an unknown product in a filter): the reader's mistake, not ours.
      if (err instanceof UserFacingError) return message(400, t('web.error.400.title'), err.userMessage ?? err.message);
      if (err instanceof StorageUnavailableError) return message(503, t('web.error.503.title'), t('web.error.503.body'));
      throw err;
    });

  /** A GET page at `pattern`; `pathOf` gives the canonical path its signature covers. */
  const get = (pattern: string, pathOf: (req: RawRequest) => string, handler: PageHandler): WebhookRoute => ({
    method: 'GET',
    path: pattern,
    handle: (req) =>
      guard(async () => {
        const access = await d.auth.access(req, pathOf(req));
        if (!access.ok) return message(access.status, t(access.status === 401 ? 'web.denied.401.title' : 'web.denied.403.title'), t(access.reason));
        const out = await handler(req, access.viewer);
        if ('status' in out && !('title' in out)) return out;
        const r = out as Exclude<Rendered, HttpAnswer>;
        return page({ title: r.title, body: r.body, viewer: access.viewer, locale: d.locale, t, ...(r.script ? { script: r.script } : {}), ...(r.status ? { status: r.status } : {}) });
      }),
  });
  const fixed = (p: string) => () => p;
  const notFound = (): Rendered => ({ title: t('web.error.404.title'), body: html``, status: 404 });

  /** The events URL of a task page: signed like the page when the viewer came by link (same expiry). */
  const eventsUrlFor = (id: string, viewer: Viewer): string => {
    const path = `${taskPagePath(id)}/events`;
    return viewer.kind === 'session' ? path : signedPath(d.secret, path, d.clock(), Math.max(0, viewer.until - d.clock()));
  };

  return [
    get('/ui', fixed('/ui'), async () => ({ status: 303, headers: { Location: '/ui/products' } })),
    get('/ui/products', fixed('/ui/products'), async () => ({ title: t('web.products.title'), body: await productsPage(deploys(), await readFreezes(d.services), t) })),
    get('/ui/tasks', fixed('/ui/tasks'), async (req) => {
      const filter = taskFilterSchema.safeParse(Object.fromEntries([...req.query].filter(([, v]) => v !== '')));
      if (!filter.success) throw new BadRequestError(filter.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return { title: t('web.tasks.title'), body: await tasksPage(deploys(), filter.data, t) };
    }),
    get('/ui/tasks/:id', (req) => taskPagePath(req.params.id ?? ''), async (req, viewer) => {
      const task = await deploys().get(req.params.id ?? '');
      if (!task) return notFound();
      const path = taskPagePath(task.id);
      return taskPage({ task, deploys: deploys(), store: d.store, viewer, t, eventsUrl: eventsUrlFor(task.id, viewer), path });
    }),
    get('/ui/tasks/:id/events', (req) => `${taskPagePath(req.params.id ?? '')}/events`, async (req) => {
      const id = req.params.id ?? '';
      if (!(await deploys().get(id))) return { status: 404, body: 'unknown task' };
      const from = Number(req.headers['last-event-id'] ?? req.query.get('from') ?? 0);
      const stream = liveTail({
        taskId: id, from: Number.isSafeInteger(from) && from >= 0 ? from : 0, deploys: deploys(), store: d.store, events: d.events,
        stateLabel: (s) => t(`deploy.state.${s}`),
      });
      return { status: 200, contentType: 'text/event-stream; charset=utf-8', body: stream, headers: { 'Content-Security-Policy': "default-src 'none'", 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'X-Accel-Buffering': 'no' } };
    }),
    get('/ui/alerts', fixed('/ui/alerts'), async () => ({ title: t('web.alerts.title'), body: alertsPage(await readAlerts(d.store), t) })),
    get('/ui/alerts/:key', (req) => alertPagePath(req.params.key ?? ''), async (req, viewer) => {
      const a = (await readAlerts(d.store)).find((x) => x.key === req.params.key);
      return a ? { title: a.title, body: alertPage(a, viewer, t) } : notFound();
    }),
    get('/ui/audit', fixed('/ui/audit'), async () => ({ title: t('web.audit.title'), body: auditPage(await d.store.listAudit({ limit: 300 }), t) })),
    get('/ui/previews', fixed('/ui/previews'), async () => ({
      title: t('web.previews.title'),
      body: await previewsPage(t, d.locale, d.links),
    })),
    ...loginRoutes(d, message, guard),
    {
      method: 'POST',
      path: '/ui/actions',
      handle: (req) =>
        guard(async () => {
          const session = await d.auth.session(req);
          if (!session) {
            const signed = req.query.has('sig');
            return message(signed ? 403 : 401, t(signed ? 'web.denied.403.title' : 'web.denied.401.title'), t(signed ? 'web.denied.403.readOnly' : 'web.denied.401.body'));
          }
          const viewer: Viewer = { kind: 'session', name: session.name, csrf: session.csrf };
          const check = checkActionForm(req, session);
          if (!check.ok) {
            const title = t(check.status === 403 ? 'web.denied.403.title' : 'web.error.400.title');
            return message(check.status, title, check.reason.startsWith('web.') ? t(check.reason) : check.reason, viewer);
          }
          const replies = await runAction(d.dispatcher, session, check.form, d.clock);
          const body = html`${repliesHtml(replies, session, check.form.back)}<p><a id="back" href="${check.form.back}">${t('web.action.back')}</a></p>`;
          return page({ title: t('web.action.title'), body, viewer, locale: d.locale, t });
        }),
    },
  ];
}

/** GET shows whose link it is and a button; POST uses it. A GET never signs in: chat apps prefetch links for previews. */
function loginRoutes(
  d: WebRouteDeps,
  message: (status: number, title: string, body: string) => HttpAnswer,
  guard: (fn: () => Promise<HttpAnswer>) => Promise<HttpAnswer>,
): WebhookRoute[] {
  const { t } = d;
  const token = (v: string | null | undefined) => (v && /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : undefined);
  return [
    {
      method: 'GET',
      path: '/ui/login',
      handle: (req) => guard(async () => {
        const tk = token(req.query.get('token'));
        const grant = tk ? await d.sessions.peek(tk) : undefined;
        if (!tk || !grant) return message(403, t('web.denied.403.title'), t('web.login.used'));
        const body = html`<section><p>${t('web.login.body', { name: grant.name })}</p><form method="post" action="/ui/login"><input type="hidden" name="token" value="${tk}"><button class="primary" type="submit" id="sign-in">${t('web.login.button')}</button></form></section>`;
        return page({ title: t('web.login.title'), body, locale: d.locale, t });
      }),
    },
    {
      method: 'POST',
      path: '/ui/login',
      handle: (req) => guard(async () => {
        if ((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
          return message(415, t('web.error.400.title'), 'expected application/x-www-form-urlencoded');
        }
        const tk = token(new URLSearchParams(req.rawBody.toString('utf8')).get('token'));
        const redeemed = tk ? await d.sessions.redeem(tk) : undefined;
        if (!redeemed) return message(403, t('web.denied.403.title'), t('web.login.used'));
        const cookie = sessionCookie(redeemed.cookie, { maxAgeSeconds: d.sessionTtlMs / 1000, secure: d.secureCookies });
        return { status: 303, body: '', headers: { Location: '/ui/products', 'Set-Cookie': cookie, 'Cache-Control': 'no-store' } };
      }),
    },
  ];
}
