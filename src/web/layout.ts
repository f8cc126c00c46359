/**
 * The page shell and the response headers every console page carries (issue 20 §4): a strict CSP with
 * a per-response nonce for the one inline script and style (`default-src 'none'`, `connect-src 'self'`
 * for the live tail), no caching, no Referer (a signed link must not leak to Sentry or GitLab when a
 * link on the page is followed), no framing. Mobile first: readable at 390 px without sideways scroll.
 */
import type { HttpAnswer } from '../core/transport.ts';
import { html, raw, type SafeHtml } from './html.ts';
import { randomToken } from './signing.ts';

/** Who is looking: a signed read-only link, or a signed-in person (with the CSRF token of their session). */
export type Viewer = { kind: 'link'; until: number } | { kind: 'session'; name: string; csrf: string };

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(nonce),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1d2129;background:#f5f6f7;overflow-wrap:anywhere}
header{background:#1e3a5f;color:#fff;padding:8px 12px}
header a{color:#fff;margin-right:10px;white-space:nowrap}
header .who{font-size:13px;opacity:.85}
main{padding:12px;max-width:960px;margin:0 auto}
h1{font-size:19px;margin:8px 0 12px}
h2{font-size:16px;margin:16px 0 8px}
section,.card{background:#fff;border-radius:8px;padding:10px 12px;margin:0 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
dl{display:grid;grid-template-columns:minmax(5em,auto) 1fr;gap:4px 12px;margin:0}
dt{color:#4e5969}dd{margin:0;min-width:0}
ul.rows{list-style:none;margin:0;padding:0}ul.rows li{padding:6px 0;border-bottom:1px solid #eee}
ol.log{list-style:none;margin:0;padding:8px;background:#111;color:#ddd;border-radius:6px;font:12px/1.45 ui-monospace,Menlo,Consolas,monospace;max-height:70vh;overflow-y:auto}
ol.log li{white-space:pre-wrap;word-break:break-all}
pre{white-space:pre-wrap;word-break:break-all;background:#f0f1f3;padding:8px;border-radius:6px;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;margin:4px 0}
.state{display:inline-block;padding:0 8px;border-radius:10px;background:#e8f3ff}
.state-succeeded{background:#e8ffea}.state-failed,.state-interrupted{background:#ffece8}.state-cancelled{background:#f2f3f5}
.muted{color:#86909c;font-size:13px}
form.inline{display:inline-block;margin:4px 6px 4px 0}
button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #c9cdd4;background:#fff}
button.primary{background:#165dff;color:#fff;border-color:#165dff}button.danger{background:#f53f3f;color:#fff;border-color:#f53f3f}
form.filter{display:flex;flex-wrap:wrap;gap:8px;align-items:end}form.filter label{display:flex;flex-direction:column;font-size:13px}
select,input{font:inherit;max-width:100%}
.preview{display:grid;grid-template-columns:1fr;gap:8px}@media(min-width:900px){.preview{grid-template-columns:1fr 1fr 1fr}}
`;

export interface PageInput {
  title: string;
  body: SafeHtml;
  viewer?: Viewer | undefined;
  locale: string;
  t: (key: string, vars?: Record<string, string | number>) => string;
  /** Inline script (this code's, never data); runs under the response's nonce. */
  script?: string;
  status?: number;
}

/** A whole HTML page with its security headers. */
export function page(p: PageInput): HttpAnswer {
  const nonce = randomToken(16);
  const nav =
    p.viewer?.kind === 'session'
      ? html`<nav><a href="/ui/products">${p.t('web.nav.products')}</a><a href="/ui/tasks">${p.t('web.nav.tasks')}</a><a href="/ui/alerts">${p.t(
          'web.nav.alerts',
        )}</a><a href="/ui/audit">${p.t('web.nav.audit')}</a><a href="/ui/previews">${p.t('web.nav.previews')}</a></nav><div class="who">${p.t(
          'web.nav.signedInAs',
          { name: p.viewer.name },
        )}</div>`
      : p.viewer?.kind === 'link'
        ? html`<div class="who">${p.t('web.nav.readOnly', { until: new Date(p.viewer.until).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' })}</div>`
        : html``;
  const doc = html`<!doctype html>
<html lang="${p.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${p.title} · ${p.t('web.title')}</title>
<style nonce="${nonce}">${raw(CSS)}</style></head>
<body><header><strong>${p.t('web.title')}</strong> ${nav}</header>
<main><h1>${p.title}</h1>${p.body}</main>
${p.script ? html`<script nonce="${nonce}">${raw(p.script)}</script>` : ''}</body></html>`;
  return { status: p.status ?? 200, contentType: 'text/html; charset=utf-8', body: doc.value, headers: securityHeaders(nonce) };
}
