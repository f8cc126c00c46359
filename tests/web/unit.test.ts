// Fast checks without a browser or a server: link signing, escaping, the CSP and security headers,
// one-time login tokens, the POST form checks, and the details link on each platform's rendering.
import { describe, expect, it } from 'vitest';
import { cardToMarkdown, cardToText, type Card } from '../../cards/model.ts';
import { renderCardParams, renderMarkdown } from '../../src/adapters/dingtalk/render-card.ts';
import { renderTemplateCard } from '../../src/adapters/wecom/render-card.ts';
import type { RawRequest } from '../../src/core/transport.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { checkActionForm } from '../../src/web/actions.ts';
import { escapeHtml, html, safeHref } from '../../src/web/html.ts';
import { contentSecurityPolicy, page } from '../../src/web/layout.ts';
import { createCardLinks, withDetails } from '../../src/web/links.ts';
import { directChatOf } from '../../src/web/login.ts';
import { cookieValue, Sessions, sessionCookie, type Session } from '../../src/web/sessions.ts';
import { checkSignature, signPath, signedPath } from '../../src/web/signing.ts';
import type { Config } from '../../src/config/schema.ts';

const SECRET = 'k'.repeat(40);
const NOW = Date.UTC(2026, 11, 2, 6, 0, 0);

describe('signed links', () => {
  it('are valid for exactly one path until they expire', () => {
    const { exp, sig } = signPath(SECRET, '/ui/tasks/1', NOW, 60_000);
    expect(checkSignature(SECRET, '/ui/tasks/1', String(exp), sig, NOW)).toBe('valid');
    expect(checkSignature(SECRET, '/ui/tasks/2', String(exp), sig, NOW)).toBe('invalid');
    expect(checkSignature(SECRET, '/ui/tasks/1', String(exp + 1), sig, NOW)).toBe('invalid');
    expect(checkSignature('x'.repeat(40), '/ui/tasks/1', String(exp), sig, NOW)).toBe('invalid');
    expect(checkSignature(SECRET, '/ui/tasks/1', String(exp), sig, NOW + 61_000)).toBe('expired');
    expect(checkSignature(SECRET, '/ui/tasks/1', null, null, NOW)).toBe('missing');
    expect(checkSignature(SECRET, '/ui/tasks/1', String(exp), null, NOW)).toBe('invalid');
    expect(checkSignature(SECRET, '/ui/tasks/1', 'abc', sig, NOW)).toBe('invalid');
  });

  it('card links are absolute under server.publicUrl, or absent without it', () => {
    const links = createCardLinks({ secret: SECRET, publicUrl: 'https://ops.example.com/', ttlMs: 60_000, clock: () => NOW, label: '查看详情 / Details' });
    expect(links.pageUrl('/ui/tasks/7')).toBe(`https://ops.example.com${signedPath(SECRET, '/ui/tasks/7', NOW, 60_000)}`);
    const none = createCardLinks({ secret: SECRET, publicUrl: undefined, ttlMs: 60_000, clock: () => NOW, label: 'x' });
    const card: Card = { title: 't', blocks: [] };
    expect(withDetails(card, none, '/ui/tasks/7')).toBe(card);
    expect(withDetails(card, undefined, '/ui/tasks/7')).toBe(card);
    expect(withDetails(card, links, '/ui/tasks/7').details?.label).toBe('查看详情 / Details');
  });
});

describe('escaping', () => {
  it('escapes every interpolated value and keeps markup built by html``', () => {
    const evil = `<script>alert("x")</script>' & \``;
    expect(escapeHtml(evil)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; &#96;');
    expect(html`<p title="${evil}">${evil}${[evil, html`<b>ok</b>`]}</p>`.value).not.toContain('<script>');
    expect(html`${html`<b>ok</b>`}`.value).toBe('<b>ok</b>');
  });

  it('allows only http(s) and same-origin hrefs', () => {
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('data:text/html,x')).toBeUndefined();
    expect(safeHref('//evil.example.com/')).toBeUndefined();
    expect(safeHref('https://sentry.io/issues/1/')).toBe('https://sentry.io/issues/1/');
    expect(safeHref('/ui/tasks/1')).toBe('/ui/tasks/1');
  });
});

describe('headers', () => {
  it('a page carries a strict CSP with a fresh nonce for its own script and style', () => {
    const a = page({ title: '<x>', body: html`<p>hi</p>`, locale: 'zh-CN', t: (k) => k, script: 'void 0' });
    const b = page({ title: 'y', body: html``, locale: 'zh-CN', t: (k) => k });
    const csp = a.headers!['Content-Security-Policy'] as string;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toBe(contentSecurityPolicy(nonce));
    expect(csp).toMatch(/^default-src 'none'; script-src 'nonce-[^']+'; style-src 'nonce-[^']+'; connect-src 'self'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(b.headers!['Content-Security-Policy']).not.toContain(nonce);
    expect(String(a.body)).toContain(`<script nonce="${nonce}">`);
    expect(String(a.body)).toContain('&lt;x&gt;');
    expect(a.headers!['Referrer-Policy']).toBe('no-referrer');
    expect(a.headers!['Cache-Control']).toBe('no-store');
  });

  it('the session cookie is HttpOnly, SameSite, scoped to /ui, Secure on https', () => {
    expect(sessionCookie('abc', { maxAgeSeconds: 60, secure: true })).toBe('opsbot_session=abc; Path=/ui; HttpOnly; SameSite=Lax; Max-Age=60; Secure');
    expect(sessionCookie('abc', { maxAgeSeconds: 60, secure: false })).not.toContain('Secure');
    expect(cookieValue('a=1; opsbot_session=xyz; b=2', 'opsbot_session')).toBe('xyz');
  });
});

describe('sessions', () => {
  it('a login token signs in once, within its lifetime; the store holds only hashes', async () => {
    let now = NOW;
    const store = new MemoryStore();
    const sessions = new Sessions(store, { clock: () => now, loginTtlMs: 60_000, sessionTtlMs: 3_600_000 });
    const token = await sessions.grant({ personId: 'alice', name: 'Alice', sender: { platform: 'test', id: 'alice' }, chat: 'test:team' });
    expect(JSON.stringify(await store.collection('web.login-tokens', { tier: 'hot' }).list())).not.toContain(token);
    const [a, b] = await Promise.all([sessions.redeem(token), sessions.redeem(token)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const s = (a ?? b)!;
    expect((await sessions.get(s.cookie))?.personId).toBe('alice');
    const late = await sessions.grant({ personId: 'alice', name: 'Alice', sender: { platform: 'test', id: 'alice' }, chat: 'test:team' });
    now += 61_000;
    expect(await sessions.redeem(late)).toBeUndefined();
    now += 3_600_000;
    expect(await sessions.get(s.cookie)).toBeUndefined();
  });

  it('a link from a group goes to the sender\'s direct chat, or nowhere', () => {
    const config = { chat: { dingtalk: {}, wecom: undefined } } as unknown as Config;
    const msg = (platform: 'dingtalk' | 'wecom' | 'console', chatType: 'group' | 'direct') =>
      ({ id: '1', platform, chat: `${platform}:c`, chatType, sender: { platform, id: 'u1' }, text: '/login', receivedAt: 0 }) as const;
    expect(directChatOf(msg('dingtalk', 'group'), config)).toBe('dingtalk:user:u1');
    expect(directChatOf(msg('wecom', 'group'), config)).toBeUndefined();
    expect(directChatOf(msg('console', 'direct'), config)).toBe('console:c');
  });
});

describe('action forms', () => {
  const session = { csrf: 'tok-123', personId: 'alice', name: 'Alice', sender: { platform: 'test', id: 'alice' }, chat: 'test:team', createdAt: 0, expiresAt: 1 } as Session;
  const req = (body: string, headers: Record<string, string> = {}): RawRequest => ({
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'h:1', ...headers }, query: new URLSearchParams(), params: {}, rawBody: Buffer.from(body), receivedAt: 0,
  });
  it('need the session\'s CSRF token, the same origin, a form body and a console path to go back to', () => {
    expect(checkActionForm(req('csrf=tok-123&command=%2Fcancel+1&back=%2Fui%2Ftasks%2F1'), session)).toMatchObject({ ok: true, form: { command: '/cancel 1' } });
    expect(checkActionForm(req('csrf=tok-124&command=%2Fcancel+1'), session)).toMatchObject({ ok: false, status: 403 });
    expect(checkActionForm(req('csrf=tok-123&command=%2Fcancel+1', { origin: 'https://evil.example.com' }), session)).toMatchObject({ ok: false, status: 403 });
    expect(checkActionForm(req('csrf=tok-123&command=%2Fcancel+1', { 'content-type': 'application/json' }), session)).toMatchObject({ ok: false, status: 415 });
    expect(checkActionForm(req('csrf=tok-123&command=%2Fcancel+1&back=%2F%2Fevil.example.com'), session)).toMatchObject({ ok: false, status: 400 });
    expect(checkActionForm(req('csrf=tok-123&command=cancel'), session)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('the details link on every platform', () => {
  const card: Card = { title: 'Deploy #1', tone: 'info', blocks: [{ kind: 'markdown', text: 'running' }], details: { label: '查看详情 / Details', url: 'https://ops.example.com/ui/tasks/1?exp=1&sig=s' } };
  it('is a line in text and markdown, a link in the DingTalk card, the tap target of the WeCom card', async () => {
    expect(cardToText(card)).toContain('[查看详情 / Details: https://ops.example.com/ui/tasks/1?exp=1&sig=s]');
    expect(cardToMarkdown(card)).toContain('[查看详情 / Details](https://ops.example.com/ui/tasks/1?exp=1&sig=s)');
    expect(renderMarkdown(card).text).toContain('(https://ops.example.com/ui/tasks/1?exp=1&sig=s)');
    expect(renderCardParams(card, { customTemplate: false }).staticMsgContent).toContain('查看详情');
    const wecom = await renderTemplateCard(card, { taskId: 't', keyFor: async (c) => `c:${c}` });
    expect(wecom.card_action).toEqual({ type: 1, url: card.details!.url });
  });
});
