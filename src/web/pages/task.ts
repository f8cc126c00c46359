/**
 * The task page (issue 20 §1): state, who asked and approved, engine and its link, the release's
 * component versions and what changed, the whole timestamped log, and a live tail while it runs
 * (live.ts). The script only reads data attributes and writes `textContent`: log text never becomes markup.
 */
import type { DeployService } from '../../deploy/service.ts';
import { isTerminal, type DeployTask } from '../../deploy/tasks.ts';
import { computeChanges } from '../../deploy/plan.ts';
import type { Store } from '../../store/types.ts';
import { html, link, type SafeHtml } from '../html.ts';
import type { Viewer } from '../layout.ts';
import { actionForms, at, type T } from './widgets.ts';

export interface TaskPageInput {
  task: DeployTask;
  deploys: DeployService;
  store: Store;
  viewer: Viewer;
  t: T;
  /** The URL the live tail connects to (signed like the page when the viewer came by link). */
  eventsUrl: string;
  path: string;
}

/** Runs in the page under the CSP nonce; the stream URL comes from a data attribute. */
export const LIVE_TAIL_SCRIPT = `(function(){
var log=document.getElementById('log');if(!log||!log.dataset.events)return;
var st=document.getElementById('state'),live=document.getElementById('live');
var es=new EventSource(log.dataset.events);
es.addEventListener('line',function(e){var d=JSON.parse(e.data);var li=document.createElement('li');li.textContent=d.text;log.appendChild(li);
var empty=document.getElementById('log-empty');if(empty)empty.remove();log.scrollTop=log.scrollHeight;});
es.addEventListener('state',function(e){var d=JSON.parse(e.data);st.textContent=d.label;st.className='state state-'+d.state;st.dataset.state=d.state;});
es.addEventListener('end',function(){es.close();if(live)live.remove();document.body.dataset.live='ended';});
})();`;

async function changesOf(task: DeployTask, deploys: DeployService): Promise<Record<string, string | undefined>> {
  if (!task.previousRelease) return {};
  try {
    return (await deploys.releases.get(task.product, task.previousRelease)).components;
  } catch {
    return {};
  }
}

export async function taskPage(p: TaskPageInput): Promise<{ title: string; body: SafeHtml; script?: string }> {
  const { task, t } = p;
  const lines = await p.store.readLog(task.id);
  const previous = await changesOf(task, p.deploys);
  const changes = computeChanges(Object.keys(task.components), task.components, previous as Record<string, string>);
  const card = await p.deploys.taskCard(task);
  // A signed link is read-only: it shows link buttons only (forms need a session).
  const buttons = card.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : [])).filter((b) => p.viewer.kind === 'session' || 'url' in b.action);
  const engineUrl = task.engineRef?.webUrl ?? task.engineRef?.external?.url;
  const running = !isTerminal(task.state);
  const title = t('web.task.title', { kind: t(`deploy.kind.${task.kind}`), id: task.id, product: task.product, release: task.release, env: task.env });
  const approval = task.approval
    ? task.approval.approvedBy
      ? html`<dt>${t('web.task.approvedBy')}</dt><dd>${task.approval.approvedBy}</dd>`
      : html`<dt>${t('web.task.approvedBy')}</dt><dd>${t('web.task.awaiting', { approvers: task.approval.approvers.join(', ') })}</dd>`
    : '';
  const body = html`<section><dl>
<dt>${t('web.task.state')}</dt><dd><span id="state" class="state state-${task.state}" data-state="${task.state}">${t(`deploy.state.${task.state}`)}</span></dd>
<dt>${t('web.task.requestedBy')}</dt><dd>${task.requestedBy.name}</dd>${approval}
<dt>${t('web.task.engine')}</dt><dd>${engineUrl ? link(engineUrl, `${task.engine} ↗`) : task.engine}</dd>
<dt>${t('web.task.created')}</dt><dd>${at(task.createdAt)}</dd>
${task.startedAt !== undefined ? html`<dt>${t('web.task.started')}</dt><dd>${at(task.startedAt)}</dd>` : ''}
${task.finishedAt !== undefined ? html`<dt>${t('web.task.finished')}</dt><dd>${at(task.finishedAt)}</dd>` : ''}
${task.previousRelease ? html`<dt>${t('web.task.previous')}</dt><dd>${task.previousRelease}</dd>` : ''}
${task.reason && task.state !== 'succeeded' ? html`<dt>${t('web.task.reason')}</dt><dd>${task.reason}</dd>` : ''}
${task.cancelledBy ? html`<dt>${t('web.task.cancelledBy')}</dt><dd>${task.cancelledBy}</dd>` : ''}
</dl></section>
<section><h2>${t('web.task.components')}</h2><ul class="rows">${changes.map(
    (c) =>
      html`<li><strong>${c.component}</strong> ${c.to} <span class="muted">${
        c.from === undefined ? t('web.task.new') : c.from === c.to ? t('web.task.unchanged') : `${c.from} → ${c.to}`
      }</span></li>`,
  )}</ul></section>
${buttons.length ? html`<section><h2>${t('web.task.actions')}</h2>${actionForms(buttons, p.viewer, p.path)}</section>` : ''}
<section><h2>${t('web.task.log')} ${running ? html`<span id="live" class="muted">${t('web.task.live')}</span>` : ''}</h2>
${lines.length ? '' : html`<p id="log-empty" class="muted">${t('web.task.logEmpty')}</p>`}
<ol id="log" class="log"${running ? html` data-events="${p.eventsUrl}${p.eventsUrl.includes('?') ? '&' : '?'}from=${lines.length}"` : ''}>${lines.map((l) => html`<li>${l}</li>`)}</ol></section>`;
  return { title, body, ...(running ? { script: LIVE_TAIL_SCRIPT } : {}) };
}
