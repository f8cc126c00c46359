/**
 * Stored delivery → typed domain events (`sentry.<resource>.<action>`), with one normalized payload shape
 * so reactions and cards never read Sentry's JSON. Field paths: sentry.md 1.6 and 2.2.
 */
import type { DomainEvent } from '../../core/events.ts';
import type { StoredDelivery } from '../../core/deliveries.ts';
import { LEGACY_KIND } from './routes.ts';

export interface SentryActor {
  type: string;
  id: string;
  name: string;
}

/** What a card needs about one Sentry issue; every field but `issueId` may be missing. */
export interface SentryIssueInfo {
  issueId: string;
  shortId?: string | undefined;
  projectSlug?: string | undefined;
  title: string;
  culprit?: string | undefined;
  level?: string | undefined;
  environment?: string | undefined;
  release?: string | undefined;
  url?: string | undefined;
  /** Sentry's own total event count (string in the API), when the payload has it. */
  sentryCount?: number | undefined;
  userCount?: number | undefined;
  firstSeen?: string | undefined;
  lastSeen?: string | undefined;
  status?: string | undefined;
  substatus?: string | undefined;
  assignee?: { type: string; name: string; id?: string | undefined; email?: string | undefined } | undefined;
  rule?: string | undefined;
  resolutionType?: string | undefined;
}

export interface SentryMetricInfo {
  ruleId: string;
  identifier?: string | undefined;
  title: string;
  description?: string | undefined;
  url?: string | undefined;
  projects: string[];
  environment?: string | undefined;
}

/** The payload of every `sentry.*` domain event. */
export interface SentryEventPayload {
  resource: string;
  action: string;
  actor: SentryActor;
  issue?: SentryIssueInfo | undefined;
  metric?: SentryMetricInfo | undefined;
  comment?: { issueId: string; commentId: string; text: string; projectSlug?: string | undefined } | undefined;
  installation?: { uuid: string; appSlug?: string | undefined; org?: string | undefined; status?: string | undefined } | undefined;
  legacy?: boolean | undefined;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const opt = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const SENTRY_ACTOR: SentryActor = { type: 'application', id: 'sentry', name: 'Sentry' };

function actorOf(v: unknown): SentryActor {
  const a = obj(v);
  if (a.type === undefined) return SENTRY_ACTOR;
  return { type: String(a.type), id: String(a.id ?? ''), name: String(a.name ?? '') };
}

/** Tags are `[key, value]` pairs; the legacy plugin keeps the `sentry:` prefix (sentry.md 1.6). */
function tag(tags: unknown, key: string): string | undefined {
  if (!Array.isArray(tags)) return undefined;
  for (const t of tags) {
    if (Array.isArray(t) && (t[0] === key || t[0] === `sentry:${key}`)) return opt(t[1]);
  }
  return undefined;
}

/** The project slug lives only in the event's API url: /api/0/projects/{org}/{slug}/events/{id}/. */
function slugFromEventUrl(url: unknown): string | undefined {
  return opt(/\/projects\/[^/]+\/([^/]+)\/events\//.exec(String(url ?? ''))?.[1]);
}

/** Issue page from an event page (`…/issues/{id}/events/{eid}/` → `…/issues/{id}/`). */
function issuePage(webUrl: unknown): string | undefined {
  const u = opt(webUrl);
  return u?.replace(/(\/issues\/[^/]+\/).*$/, '$1');
}

function fromEvent(ev: Json, rule?: string): SentryIssueInfo {
  return {
    issueId: String(ev.issue_id ?? ev.group_id ?? ''),
    projectSlug: slugFromEventUrl(ev.url),
    title: opt(ev.title) ?? opt(ev.message) ?? '(no title)',
    culprit: opt(ev.culprit),
    level: opt(ev.level) ?? tag(ev.tags, 'level'),
    environment: opt(ev.environment) ?? tag(ev.tags, 'environment'),
    release: opt(ev.release) ?? tag(ev.tags, 'release'),
    url: issuePage(ev.web_url),
    lastSeen: opt(ev.datetime),
    rule,
  };
}

/** `data.issue` is the API issue serializer (sentry.md 1.6 `issue.*`). */
export function fromApiIssue(issue: Json): SentryIssueInfo {
  const project = obj(issue.project);
  const assigned = obj(issue.assignedTo);
  return {
    issueId: String(issue.id ?? ''),
    shortId: opt(issue.shortId),
    projectSlug: opt(project.slug),
    title: opt(issue.title) ?? '(no title)',
    culprit: opt(issue.culprit),
    level: opt(issue.level),
    url: opt(issue.web_url) ?? opt(issue.permalink),
    sentryCount: num(issue.count),
    userCount: num(issue.userCount),
    firstSeen: opt(issue.firstSeen),
    lastSeen: opt(issue.lastSeen),
    status: opt(issue.status),
    substatus: opt(issue.substatus),
    ...(assigned.name !== undefined
      ? { assignee: { type: String(assigned.type ?? 'user'), name: String(assigned.name), id: opt(assigned.id), email: opt(assigned.email) } }
      : {}),
  };
}

function mapIntegration(action: string, resource: string, body: Json): SentryEventPayload | undefined {
  const data = obj(body.data);
  const actor = actorOf(body.actor);
  switch (resource) {
    case 'event_alert':
      return { resource, action, actor, issue: fromEvent(obj(data.event), opt(data.triggered_rule)) };
    case 'metric_alert': {
      const ma = obj(data.metric_alert);
      const rule = obj(ma.alert_rule);
      const projects = (Array.isArray(ma.projects) ? ma.projects : Array.isArray(rule.projects) ? rule.projects : []).map(String);
      return {
        resource,
        action,
        actor,
        metric: {
          ruleId: String(rule.id ?? ma.id ?? ''),
          identifier: opt(ma.identifier),
          title: opt(data.description_title) ?? opt(ma.title) ?? opt(rule.name) ?? 'metric alert',
          // The docs example carries a literal backslash-n (sentry.md 1.6 metric_alert).
          description: opt(data.description_text)?.replace(/\\n/g, '\n'),
          url: opt(data.web_url),
          projects,
          environment: opt(rule.environment),
        },
      };
    }
    case 'issue': {
      const issue = fromApiIssue(obj(data.issue));
      const assignee = obj(data.assignee);
      if (assignee.name !== undefined) {
        // type may arrive as "actortype.user" under Python 3.11 (sentry.md 1.5): normalise by suffix.
        const t = String(assignee.type ?? 'user');
        issue.assignee = { type: t.endsWith('team') ? 'team' : 'user', name: String(assignee.name), id: opt(assignee.id), email: opt(assignee.email) };
      }
      if (data.resolution_type !== undefined) issue.resolutionType = String(data.resolution_type);
      return { resource, action: action === 'archived' ? 'ignored' : action, actor, issue };
    }
    case 'comment':
      return {
        resource,
        action,
        actor,
        comment: { issueId: String(data.issue_id ?? ''), commentId: String(data.comment_id ?? ''), text: String(data.comment ?? ''), projectSlug: opt(data.project_slug) },
      };
    case 'installation': {
      const inst = obj(data.installation);
      return {
        resource,
        action,
        actor,
        installation: { uuid: String(inst.uuid ?? obj(body.installation).uuid ?? ''), appSlug: opt(obj(inst.app).slug), org: opt(obj(inst.organization).slug), status: opt(inst.status) },
      };
    }
    case 'error':
      return { resource, action, actor, issue: fromEvent(obj(data.error)) };
    default:
      return undefined;
  }
}

/** Legacy WebHooks plugin body (sentry.md 2.2) → an event alert. */
function mapLegacy(body: Json): SentryEventPayload {
  const ev = obj(body.event);
  const rules = Array.isArray(body.triggering_rules) ? body.triggering_rules.map(String) : [];
  const url = opt(body.url)?.replace(/\?referrer=webhooks_plugin$/, '');
  return {
    resource: 'event_alert',
    action: 'triggered',
    actor: SENTRY_ACTOR,
    legacy: true,
    issue: {
      issueId: String(body.id),
      projectSlug: opt(body.project_slug) ?? opt(body.project),
      title: opt(ev.title) ?? opt(body.message) ?? '(no title)',
      culprit: opt(body.culprit) ?? opt(ev.culprit),
      level: opt(body.level) ?? tag(ev.tags, 'level'),
      environment: opt(ev.environment) ?? tag(ev.tags, 'environment'),
      release: opt(ev.release) ?? tag(ev.tags, 'release'),
      url,
      rule: rules[0],
    },
  };
}

/** Domain event type for a payload: metric alerts carry their action in the type. */
export function eventType(p: SentryEventPayload): string {
  return `sentry.${p.resource}.${p.action}`;
}

/** A stored delivery → zero or one domain events (unknown resources map to none; they stay stored). */
export function mapSentryDelivery(d: Pick<StoredDelivery, 'kind' | 'body' | 'receivedAt' | 'id'>, parsed?: Record<string, unknown>): DomainEvent<SentryEventPayload>[] {
  const body = parsed ?? obj(JSON.parse(d.body));
  const payload = d.kind === LEGACY_KIND ? mapLegacy(body) : mapIntegration(String(body.action ?? ''), d.kind.split('.')[0] ?? '', body);
  if (!payload) return [];
  return [{ type: eventType(payload), payload, occurredAt: d.receivedAt, deliveryId: d.id }];
}

/** True when the actor is opsbot's own integration (its API calls echo back: sentry.md 1.4). */
export function isOwnActor(actor: SentryActor, cfg: { appSlug?: string | undefined; appId?: string | undefined }): boolean {
  if (actor.type !== 'application' || actor.id === 'sentry') return false;
  if (cfg.appId && actor.id === cfg.appId) return true;
  if (cfg.appSlug) {
    const slug = actor.name.toLowerCase().trim().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    return slug === cfg.appSlug.toLowerCase() || actor.id === cfg.appSlug;
  }
  return false;
}

declare module '../../core/events.ts' {
  /** The `sentry.<resource>.<action>` events mapSentryDelivery emits (sentry.md 1.5), each with a SentryEventPayload. */
  interface EventMap {
    'sentry.*': SentryEventPayload;
    'sentry.event_alert.triggered': SentryEventPayload;
    'sentry.issue.created': SentryEventPayload;
    'sentry.issue.resolved': SentryEventPayload;
    'sentry.issue.ignored': SentryEventPayload;
    'sentry.issue.unresolved': SentryEventPayload;
    'sentry.issue.assigned': SentryEventPayload;
    'sentry.metric_alert.critical': SentryEventPayload;
    'sentry.metric_alert.warning': SentryEventPayload;
    'sentry.metric_alert.resolved': SentryEventPayload;
    'sentry.comment.created': SentryEventPayload;
    'sentry.installation.created': SentryEventPayload;
    'sentry.installation.deleted': SentryEventPayload;
  }
}
