/**
 * The Sentry alert card (pure): one card per issue (or metric rule), updated in place as events fold in
 * and as people act (sentry.md 4.1, 4.3). Buttons run `/sentry …` and `/rollback …` through the normal
 * command path, so permission, confirmation and audit apply.
 */
import { actions, commandButton, fields, linkButton, markdown, note, type Button, type Card, type Field } from './model.ts';
import type { Translate } from './translate.ts';

export interface SentryAlertView {
  /** Issue id, or `metric:<ruleId>` for metric alerts. */
  key: string;
  kind: 'issue' | 'metric';
  title: string;
  level?: string | undefined;
  shortId?: string | undefined;
  project?: string | undefined;
  environment?: string | undefined;
  culprit?: string | undefined;
  release?: string | undefined;
  rule?: string | undefined;
  description?: string | undefined;
  /** Events opsbot saw for this alert (folded count). */
  count: number;
  userCount?: number | undefined;
  firstSeen?: string | undefined;
  lastSeen?: string | undefined;
  url?: string | undefined;
  status: 'open' | 'acked' | 'resolved' | 'ignored';
  statusBy?: string | undefined;
  assignedTo?: string | undefined;
  escalations?: number | undefined;
  /** Who the last escalation paged (names). */
  escalatedTo?: string[] | undefined;
  /** Product/env for the rollback button, when known. */
  rollback?: { product: string; env: string } | undefined;
  /** Last actions, newest last ("张三 确认"). */
  history?: string[] | undefined;
}

/** `2019-08-19T20:58:37.391000Z` → `2019-08-19 20:58:37 UTC` (Sentry sends ISO with microseconds). */
export function when(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso);
  if (!m) return iso;
  return `${m[1]} ${m[2]}${m[3] === 'Z' || !m[3] ? ' UTC' : ' ' + m[3]}`;
}

const toneOf = (v: SentryAlertView): Card['tone'] =>
  v.status === 'resolved' ? 'success' : v.status === 'ignored' || v.status === 'acked' ? 'info' : v.level === 'warning' ? 'warning' : 'danger';

function stateText(v: SentryAlertView, t: Translate): string {
  const by = v.statusBy ?? '?';
  const parts = [t(`sentry.state.${v.status}`, { by })];
  if (v.assignedTo) parts.push(t('sentry.state.assigned', { to: v.assignedTo }));
  if (v.escalations) parts.push(v.escalatedTo?.length ? t('sentry.state.escalatedTo', { n: v.escalations, who: v.escalatedTo.join('、') }) : t('sentry.state.escalated', { n: v.escalations }));
  return parts.join(' · ');
}

/** The alert card for one issue or metric rule. */
export function sentryAlertCard(v: SentryAlertView, t: Translate): Card {
  const title =
    v.kind === 'metric'
      ? t('sentry.card.metricTitle', { title: v.title })
      : t('sentry.card.title', { level: (v.level ?? 'error').toUpperCase(), title: v.title });
  const f: Field[] = [];
  const add = (key: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') f.push({ label: t(key), value: String(value) });
  };
  add('sentry.field.issue', v.shortId ?? (v.kind === 'issue' ? v.key : undefined));
  add('sentry.field.project', v.project);
  add('sentry.field.environment', v.environment);
  add('sentry.field.level', v.level);
  add('sentry.field.release', v.release);
  add('sentry.field.count', v.count);
  add('sentry.field.users', v.userCount);
  add('sentry.field.firstSeen', when(v.firstSeen));
  add('sentry.field.lastSeen', when(v.lastSeen));
  add('sentry.field.rule', v.rule);
  add('sentry.field.state', stateText(v, t));

  const blocks: Card['blocks'] = [];
  if (v.culprit) blocks.push(markdown(`\`${v.culprit}\``));
  if (v.description) blocks.push(markdown(v.description));
  blocks.push(fields(f));
  if (v.history && v.history.length > 0) blocks.push(note(v.history.slice(-3).join('\n')));

  const buttons: Button[] = [];
  const open = v.status === 'open' || v.status === 'acked';
  if (v.kind === 'issue') {
    if (v.status === 'open') buttons.push(commandButton(t('sentry.button.ack'), `/sentry ack ${v.key}`, 'primary'));
    if (open) {
      buttons.push(commandButton(t('sentry.button.resolve'), `/sentry resolve ${v.key}`));
      buttons.push(commandButton(t('sentry.button.ignore'), `/sentry ignore ${v.key} 30m`));
      buttons.push(commandButton(t('sentry.button.ignore24h'), `/sentry ignore ${v.key} 24h`));
      buttons.push(commandButton(t('sentry.button.ignore100'), `/sentry ignore ${v.key} 100x`));
      buttons.push(commandButton(t('sentry.button.assignMe'), `/sentry assign ${v.key} me`));
    }
  } else if (v.status === 'open') {
    buttons.push(commandButton(t('sentry.button.ack'), `/sentry ack ${v.key}`, 'primary'));
  }
  if (open && v.rollback) {
    buttons.push(commandButton(t('sentry.button.rollback', v.rollback), `/rollback ${v.rollback.product} ${v.rollback.env}`, 'danger'));
  }
  if (v.url) buttons.push(linkButton(t('sentry.button.open'), v.url));
  if (buttons.length > 0) blocks.push(actions(buttons));
  return { title, tone: toneOf(v), blocks };
}

/** One digest card for the issues folded away while a chat was over its budget. */
export function sentryDigestCard(items: { key: string; title: string; project?: string; count: number }[], t: Translate): Card {
  const lines = items.map((i) => t('sentry.digest.line', { title: i.title, project: i.project ?? '?', count: i.count }));
  return {
    title: t('sentry.digest.title', { n: items.length }),
    tone: 'warning',
    blocks: [markdown(lines.join('\n')), note(t('sentry.digest.note'))],
  };
}

/** The escalation re-post: the alert card with a banner on top. */
export function sentryEscalationCard(v: SentryAlertView, minutes: number, t: Translate): Card {
  const base = sentryAlertCard(v, t);
  return {
    ...base,
    title: t('sentry.escalation.title', { title: base.title }),
    tone: 'danger',
    blocks: [markdown(t('sentry.escalation.body', { minutes, n: v.escalations ?? 1 })), ...base.blocks],
  };
}
