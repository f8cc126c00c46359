/**
 * What `/sentry …` (and the card buttons) do: act in Sentry through the Web API, then record the new
 * state on the card. If Sentry refuses, the user sees why and the card stays as it was (issue 7 §4).
 * Acknowledge is opsbot-side (Sentry has none: sentry.md 3.3): it stops escalation and, where
 * `sentry.users` maps the clicker, assigns the issue to them.
 */
import type { Logger } from 'pino';
import { serviceKey } from '../../core/feature.ts';
import type { Config } from '../../config/schema.ts';
import { UpstreamError, UserFacingError } from '../../core/errors.ts';
import type { SentryAlerts } from './alerts.ts';
import type { IgnoreSpec, SentryApi } from './api.ts';
import type { SentryConfig } from './config.ts';
import type { AlertState } from './state.ts';

export const SENTRY_ACTIONS = ['ack', 'unack', 'resolve', 'unresolve', 'ignore', 'assign'] as const;
export type SentryAction = (typeof SENTRY_ACTIONS)[number];
type T = (key: string, vars?: Record<string, string | number>) => string;

export interface SentryActInput {
  action: SentryAction;
  issueId: string;
  by: { id: string; name: string };
  /** assign: a person id or `me`; ignore: `30m`, `24h`, `100x`, `forever`. */
  target?: string;
}

/** `services.sentry`: the Web API client plus the alert engine. */
export class SentryService {
  constructor(
    readonly api: SentryApi,
    readonly alerts: SentryAlerts,
    private readonly deps: { config: Config; sentry: SentryConfig; log: Logger },
  ) {}

  /** Runs one action; returns the confirmation text (already translated with `t`). */
  async act(input: SentryActInput, t: T): Promise<string> {
    const { issueId, by } = input;
    const issue = issueId;
    const isMetric = issueId.startsWith('metric:');
    const say = (key: string, vars: Record<string, string | number> = {}): string => t(`sentry.cmd.done.${key}`, { who: by.name, issue, ...vars });
    const note = (s: AlertState, line: string): void => {
      s.history.push(line);
    };
    if (isMetric && input.action !== 'ack' && input.action !== 'unack') throw new UserFacingError('E_USAGE', t('sentry.err.404'));
    switch (input.action) {
      case 'ack': {
        const text = say('ack');
        await this.alerts.change(issueId, (s) => {
          s.status = 'acked';
          s.statusBy = by.name;
          note(s, text);
        });
        const assignee = this.deps.sentry.users[by.id];
        if (assignee && !isMetric) {
          try {
            await this.api.assign(issueId, assignee);
            await this.alerts.change(issueId, (s) => void (s.assignedTo = by.name));
          } catch (err) {
            this.deps.log.warn({ err: (err as Error).message, issueId }, 'sentry: ack recorded, assigning in Sentry failed');
          }
        }
        return text;
      }
      case 'unack': {
        const text = say('unack');
        await this.alerts.change(issueId, (s) => {
          if (s.status === 'acked') {
            s.status = 'open';
            delete s.statusBy;
          }
          note(s, text);
        });
        return text;
      }
      case 'resolve': {
        await this.call(() => this.api.resolve(issueId), t);
        const text = say('resolve');
        await this.alerts.change(issueId, (s) => {
          s.status = 'resolved';
          s.statusBy = by.name;
          note(s, text);
        });
        return text;
      }
      case 'unresolve': {
        await this.call(() => this.api.unresolve(issueId), t);
        const text = say('unresolve');
        await this.alerts.change(issueId, (s) => {
          s.status = 'open';
          delete s.statusBy;
          note(s, text);
        });
        return text;
      }
      case 'ignore': {
        const spec = parseIgnore(input.target, t);
        await this.call(() => this.api.ignore(issueId, spec), t);
        const how =
          spec === 'forever' ? t('sentry.cmd.ignore.forever') : 'minutes' in spec ? t('sentry.cmd.ignore.minutes', { n: spec.minutes }) : t('sentry.cmd.ignore.count', { n: spec.count });
        const text = say('ignore', { how });
        await this.alerts.change(issueId, (s) => {
          s.status = 'ignored';
          s.statusBy = by.name;
          note(s, text);
        });
        return text;
      }
      case 'assign': {
        if (!input.target) throw new UserFacingError('E_USAGE', t('sentry.err.needPerson'));
        const personId = input.target === 'me' ? by.id : input.target;
        const person = this.deps.config.people[personId];
        if (!person) throw new UserFacingError('E_NOT_FOUND', t('sentry.err.unknownPerson', { person: personId }));
        const assignee = this.deps.sentry.users[personId];
        if (!assignee) throw new UserFacingError('E_NOT_FOUND', t('sentry.err.noSentryUser', { person: personId }));
        await this.call(() => this.api.assign(issueId, assignee), t);
        const text = say('assign', { to: person.name });
        await this.alerts.change(issueId, (s) => {
          s.assignedTo = person.name;
          note(s, text);
        });
        return text;
      }
    }
  }

  /** Sentry's refusal → a message the clicker understands (401/403/404/429 + Sentry's own detail). */
  private async call<R>(fn: () => Promise<R>, t: T): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UpstreamError) {
        const known: Record<number, string> = { 401: 'sentry.err.401', 403: 'sentry.err.403', 404: 'sentry.err.404', 429: 'sentry.err.429' };
        const key = known[err.status];
        const msg = key ? t(key, { seconds: err.retryAfterSeconds ?? 1 }) : t('sentry.err.upstream', { reason: err.message });
        throw new UserFacingError('E_UPSTREAM', msg);
      }
      throw err;
    }
  }
}

/** `30m`, `24h`, `100x` (until 100 more events), `forever`; default 30 minutes. */
export function parseIgnore(spec: string | undefined, t: T): IgnoreSpec {
  if (!spec) return { minutes: 30 };
  if (spec === 'forever') return 'forever';
  const m = /^(\d+)(m|h|x)$/.exec(spec);
  if (!m) throw new UserFacingError('E_USAGE', t('sentry.err.badDuration'));
  const n = Number(m[1]);
  if (n <= 0) throw new UserFacingError('E_USAGE', t('sentry.err.badDuration'));
  return m[2] === 'x' ? { count: n } : { minutes: m[2] === 'h' ? n * 60 : n };
}

/** The Sentry service the `/sentry` command uses (provided by the Sentry feature). */
export const SENTRY = serviceKey<SentryService>('sentry', 'sentry.err.notConfigured');
