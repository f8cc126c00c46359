/**
 * The web console as a feature (issue 20): pages on the existing Koa server through `routes`, the
 * CARD_LINKS service cards use for their "查看详情 / Details" link, and /login. `web.enabled: false`
 * (or no `web:` section) mounts nothing and provides nothing.
 */
import { webCommands } from '../../commands/index.ts';
import { Confirmations } from '../core/confirm.ts';
import { Dispatcher } from '../core/dispatch.ts';
import { defineFeature, provide } from '../core/feature.ts';
import { t as translate } from '../core/i18n.ts';
import { CommandRegistry } from '../core/registry.ts';
import { COMMANDS } from '../core/services.ts';
import { createAuthenticator } from './auth.ts';
import { defaultWebConfig } from './config.ts';
import { CARD_LINKS, createCardLinks } from './links.ts';
import { createWebLogin, WEB_LOGIN } from './login.ts';
import { webMessages } from './messages.ts';
import { webRoutes } from './routes.ts';
import { webSecret } from './secret.ts';
import { Sessions } from './sessions.ts';

export const webFeature = defineFeature({
  name: 'web',
  commands: webCommands,
  messages: webMessages,
  enabled: (config) => config.web?.enabled === true,
  async setup(deps) {
    const { config, store, clock, locale } = deps;
    const web = config.web ?? defaultWebConfig;
    const t = (key: string, vars?: Record<string, string | number>) => translate(locale, key, vars);
    const secret = await webSecret(store, web.secret);
    const publicUrl = config.server.publicUrl;
    const sessionTtlMs = web.sessionHours * 3_600_000;
    const sessions = new Sessions(store, { clock, loginTtlMs: web.loginTtlMinutes * 60_000, sessionTtlMs });
    const links = createCardLinks({ secret, publicUrl, ttlMs: web.linkTtlHours * 3_600_000, clock, label: t('web.details') });
    const catalog = deps.services.get(COMMANDS);
    if (!catalog) throw new Error('web: the command registry is not provided (app.ts provides COMMANDS before features)');
    // The chat's own dispatcher steps over the same registry, permissions, confirmations and audit
    // (actions.ts); only the transport differs.
    const dispatcher = new Dispatcher({
      config, store, log: deps.log.child({ feature: 'web' }), outbox: deps.outbox, locale, clock,
      registry: new CommandRegistry(catalog.list()), services: deps.services, people: deps.people,
      confirmations: new Confirmations(store, config.confirm.ttlSeconds * 1000, clock), confirmTtlMs: config.confirm.ttlSeconds * 1000,
    });
    const routes = webRoutes({
      auth: createAuthenticator({ secret, sessions, clock }), sessions, links, dispatcher, store, events: deps.events, services: deps.services,
      secret, locale, t, clock, sessionTtlMs, secureCookies: publicUrl?.startsWith('https://') ?? false, redact: deps.redactor?.text,
    });
    const login = createWebLogin({ config, sessions, outbox: deps.outbox, publicUrl, ttlMinutes: web.loginTtlMinutes });
    return { provides: [provide(CARD_LINKS, links), provide(WEB_LOGIN, login)], routes };
  },
});
