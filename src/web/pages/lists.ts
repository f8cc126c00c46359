/** The list pages (issue 20 §1): products per environment, tasks with filters, alerts, the audit log. */
import { z } from 'zod';
import type { DeployService } from '../../deploy/service.ts';
import { TERMINAL_STATES, type DeployTask } from '../../deploy/tasks.ts';
import type { AuditEntry } from '../../store/types.ts';
import { html, link, type SafeHtml } from '../html.ts';
import { taskPagePath, alertPagePath } from '../links.ts';
import type { AlertRow, FreezeRow } from '../sources.ts';
import type { Viewer } from '../layout.ts';
import { actionForms, at, type T } from './widgets.ts';

const taskLink = (task: DeployTask): SafeHtml => html`<a href="${taskPagePath(task.id)}">#${task.id}</a>`;

export async function productsPage(deploys: DeployService, freezes: FreezeRow[], t: T): Promise<SafeHtml> {
  const status = await deploys.status();
  return html`${status.map(
    (p) => html`<section><h2>${p.product}</h2><ul class="rows">${p.environments.map((e) => {
      const frozen = freezes.filter((f) => f.product === p.product && (!f.env || f.env === e.env));
      return html`<li data-env="${e.env}"><strong>${e.env}</strong>${e.protected ? html` <span class="muted">${t('web.products.protected')}</span>` : ''}
<div>${t('web.products.release')}: <strong class="release">${e.current?.release ?? t('web.products.none')}</strong></div>
${e.current ? html`<div class="muted">${Object.entries(e.current.components).map(([c, v]) => `${c} ${v}`).join(' · ')}</div>
<div>${t('web.products.lastDeploy')}: ${t('web.products.by', { at: at(e.current.at), by: e.current.by })}</div>` : ''}
${e.lastTask ? html`<div>${t('web.products.lastTask')}: ${taskLink(e.lastTask)} ${e.lastTask.release} ${t(`deploy.state.${e.lastTask.state}`)}</div>` : ''}
${frozen.length ? html`<div>${t('web.products.freezes')}: ${frozen.map((f) => `${f.reason ?? ''} ${f.until !== undefined ? String(f.until) : ''}`.trim()).join('; ')}</div>` : ''}</li>`;
    })}</ul></section>`,
  )}`;
}

/** `?product=&env=&state=` of the tasks page; anything else is a 400 (zod at the boundary). */
export const taskFilterSchema = z.strictObject({
  product: z.string().max(100).optional(),
  env: z.string().max(100).optional(),
  state: z.enum(['waiting', 'running', ...TERMINAL_STATES] as [string, ...string[]]).optional(),
});
export type TaskFilter = z.infer<typeof taskFilterSchema>;

export async function tasksPage(deploys: DeployService, filter: TaskFilter, t: T): Promise<SafeHtml> {
  const tasks = (await deploys.list(filter.product || undefined, 500)).filter(
    (x) => (!filter.env || x.env === filter.env) && (!filter.state || x.state === filter.state),
  );
  const products = deploys.model.productIds();
  const envs = [...new Set(products.flatMap((p) => deploys.model.environmentIds(p)))];
  const select = (name: string, label: string, values: readonly string[], current: string | undefined) =>
    html`<label>${label}<select name="${name}"><option value="">${t('web.tasks.all')}</option>${values.map(
      (v) => html`<option value="${v}"${v === current ? html` selected` : ''}>${v}</option>`,
    )}</select></label>`;
  return html`<section><form class="filter" method="get" action="/ui/tasks">${select('product', t('web.tasks.product'), products, filter.product)}${select(
    'env',
    t('web.tasks.env'),
    envs,
    filter.env,
  )}${select('state', t('web.tasks.state'), ['waiting', 'running', ...TERMINAL_STATES], filter.state)}<button type="submit">${t('web.tasks.filter')}</button></form></section>
<section>${tasks.length ? '' : html`<p class="muted">${t('web.tasks.empty')}</p>`}<ul class="rows">${tasks.map(
    (x) => html`<li>${taskLink(x)} ${x.product} ${x.release} → ${x.env} <span class="state state-${x.state}">${t(`deploy.state.${x.state}`)}</span>
<div class="muted">${x.requestedBy.name} · ${at(x.createdAt)}</div></li>`,
  )}</ul></section>`;
}

const STATUSES = ['open', 'acked', 'resolved', 'ignored'] as const;

export function alertsPage(alerts: AlertRow[], t: T): SafeHtml {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, alerts.filter((a) => a.status === s).length]));
  return html`<section><p>${t('web.alerts.counts', counts)}</p></section>
<section>${alerts.length ? '' : html`<p class="muted">${t('web.alerts.empty')}</p>`}<ul class="rows">${alerts.map(
    (a) => html`<li><a href="${alertPagePath(a.key)}">${a.title}</a> <span class="state">${t(`web.alerts.status.${a.status}`)}</span>
<div class="muted">${a.source} · ${a.project ?? ''} ${a.level ?? ''} · ×${a.count}${a.owners.length ? ` · ${t('web.alerts.owners')}: ${a.owners.join(', ')}` : ''}</div>
${a.url ? html`<div>${link(a.url, t('web.alerts.open') + ' ↗')}</div>` : ''}</li>`,
  )}</ul></section>`;
}

export function alertPage(a: AlertRow, viewer: Viewer, t: T): SafeHtml {
  const buttons = a.buttons(t).filter((b) => viewer.kind === 'session' || 'url' in b.action);
  const row = (label: string, v: string | number | undefined) => (v === undefined || v === '' ? '' : html`<dt>${label}</dt><dd>${v}</dd>`);
  return html`<section><dl>${row(t('web.task.state'), t(`web.alerts.status.${a.status}`))}${row('source', a.source)}${row('project', a.project)}${row(
    'level',
    a.level,
  )}${row('environment', a.environment)}${row('release', a.release)}${row('culprit', a.culprit)}${row('count', a.count)}${row(
    t('web.alerts.owners'),
    a.owners.join(', '),
  )}${row('by', a.statusBy)}${row('updated', at(a.updatedAt))}</dl>${a.url ? html`<p>${link(a.url, t('web.alerts.open') + ' ↗')}</p>` : ''}</section>
${buttons.length ? html`<section>${actionForms(buttons, viewer, alertPagePath(a.key))}</section>` : ''}
${a.history?.length ? html`<section><ul class="rows">${a.history.map((h) => html`<li>${h}</li>`)}</ul></section>` : ''}`;
}

export function auditPage(entries: AuditEntry[], t: T): SafeHtml {
  return html`<section>${entries.length ? '' : html`<p class="muted">${t('web.audit.empty')}</p>`}<ul class="rows">${entries.map(
    (e) => html`<li><code>${e.command}</code> <span class="state">${e.outcome}</span><div class="muted">${e.at} · ${e.actor} · ${e.platform} · ${e.chat}${e.detail ? ` · ${e.detail}` : ''}</div></li>`,
  )}</ul></section>`;
}
