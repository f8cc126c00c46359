/**
 * The Alertmanager alert card (pure): one card per alert (fingerprint), updated in place; firing →
 * resolved turns the same card to "已恢复" with the duration (issue 17 §3). Buttons run `/am …` and
 * `/rollback …` through the normal command path, so permission, confirmation and audit apply, and the
 * console clicks them by typing.
 */
import { actions, commandButton, fields, linkButton, markdown, note, type Button, type Card, type Field } from './model.ts';
import { when } from './sentry-alert.ts';
import type { Translate } from './translate.ts';

export interface AlertmanagerAlertView {
  /** The fingerprint. */
  key: string;
  alertname: string;
  severity?: string | undefined;
  summary?: string | undefined;
  description?: string | undefined;
  /** The labels worth showing, in order. */
  labels: [string, string][];
  startsAt: string;
  endsAt?: string | undefined;
  status: 'open' | 'acked' | 'resolved' | 'ignored';
  statusBy?: string | undefined;
  /** Times this alert fired (re-fires after resolving fold into the same card). */
  count: number;
  escalations?: number | undefined;
  /** Who the last escalation paged (names). */
  escalatedTo?: string[] | undefined;
  silence?: { by: string; until: string } | undefined;
  generatorURL?: string | undefined;
  alertmanagerURL?: string | undefined;
  rollback?: { product: string; env: string } | undefined;
  history?: string[] | undefined;
}

/** `3725000` → `1h 2m`; under a minute in seconds. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return h < 24 ? `${h}h${m % 60 ? ` ${m % 60}m` : ''}` : `${Math.floor(h / 24)}d${h % 24 ? ` ${h % 24}h` : ''}`;
}

const toneOf = (v: AlertmanagerAlertView): Card['tone'] =>
  v.status === 'resolved' ? 'success' : v.status === 'acked' || v.silence ? 'info' : /^(warning|warn|info|low)$/i.test(v.severity ?? '') ? 'warning' : 'danger';

export function alertmanagerAlertCard(v: AlertmanagerAlertView, t: Translate): Card {
  const resolved = v.status === 'resolved';
  const head = v.summary && v.summary !== v.alertname ? `${v.alertname}: ${v.summary}` : v.alertname;
  const title = resolved ? t('am.card.resolvedTitle', { title: head }) : t('am.card.title', { severity: (v.severity ?? 'alert').toUpperCase(), title: head });
  const f: Field[] = [];
  const add = (key: string, value: string | number | undefined, vars?: Record<string, string>): void => {
    if (value !== undefined && value !== '') f.push({ label: t(key, vars), value: String(value) });
  };
  let state = t(`am.state.${v.status}`, { by: v.statusBy ?? '?' });
  if (v.escalations) state += ` · ${v.escalatedTo?.length ? t('am.state.escalatedTo', { n: v.escalations, who: v.escalatedTo.join('、') }) : t('am.state.escalated', { n: v.escalations })}`;
  add('am.field.state', state);
  add('am.field.since', when(v.startsAt));
  if (resolved && v.endsAt) {
    add('am.field.resolvedAt', when(v.endsAt));
    const ms = Date.parse(v.endsAt) - Date.parse(v.startsAt);
    if (Number.isFinite(ms)) add('am.field.duration', durationText(ms));
  }
  if (v.severity) add('am.field.severity', v.severity);
  for (const [name, value] of v.labels) f.push({ label: name, value });
  if (v.count > 1) add('am.field.count', v.count);
  if (v.silence) add('am.field.silence', t('am.silence.text', { by: v.silence.by, until: when(v.silence.until) ?? v.silence.until }));

  const blocks: Card['blocks'] = [];
  if (v.description) blocks.push(markdown(v.description));
  blocks.push(fields(f));
  if (v.history && v.history.length > 0) blocks.push(note(v.history.slice(-3).join('\n')));
  const buttons: Button[] = [];
  if (!resolved) {
    if (v.status === 'open') buttons.push(commandButton(t('am.button.ack'), `/am ack ${v.key}`, 'primary'));
    if (v.silence) buttons.push(commandButton(t('am.button.unsilence'), `/am unsilence ${v.key}`));
    else {
      buttons.push(commandButton(t('am.button.silence1h'), `/am silence ${v.key} 1h`));
      buttons.push(commandButton(t('am.button.silence4h'), `/am silence ${v.key} 4h`));
    }
    if (v.rollback) buttons.push(commandButton(t('am.button.rollback', v.rollback), `/rollback ${v.rollback.product} ${v.rollback.env}`, 'danger'));
  }
  if (v.generatorURL) buttons.push(linkButton(t('am.button.source'), v.generatorURL));
  if (v.alertmanagerURL) buttons.push(linkButton(t('am.button.alertmanager'), v.alertmanagerURL));
  if (buttons.length > 0) blocks.push(actions(buttons));
  return { title, tone: toneOf(v), blocks };
}

/** One digest card for the alerts folded away while a chat was over its budget. */
export function alertmanagerDigestCard(items: { key: string; title: string; severity?: string | undefined; labels: string }[], t: Translate): Card {
  const lines = items.map((i) => t('am.digest.line', { title: i.title, severity: i.severity ?? '?', labels: i.labels }));
  return { title: t('am.digest.title', { n: items.length }), tone: 'warning', blocks: [markdown(lines.join('\n')), note(t('am.digest.note'))] };
}

/** The escalation re-post: the alert card with a banner on top. */
export function alertmanagerEscalationCard(v: AlertmanagerAlertView, minutes: number, t: Translate): Card {
  const base = alertmanagerAlertCard(v, t);
  return { ...base, title: t('am.escalation.title', { title: base.title }), tone: 'danger', blocks: [markdown(t('am.escalation.body', { minutes, n: v.escalations ?? 1 })), ...base.blocks] };
}
