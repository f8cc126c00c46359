/**
 * Sentry Web API client (sentry.md 3): Bearer token, base URL from config, errors as UpstreamError with
 * Sentry's own `detail`. Issue updates use the org-scoped route (the project-less `/api/0/issues/{id}/`
 * is deprecated: sentry.md 3.2).
 */
import { request } from 'undici';
import { UpstreamError } from '../../core/errors.ts';
import { patternRedactor, type Redactor } from '../../core/redact.ts';
import type { SentryConfig } from './config.ts';

export type IgnoreSpec = { minutes: number } | { count: number; windowMinutes?: number } | 'forever';

export interface SentryApiOptions {
  /** Request timeout in ms (default 10 s). */
  timeoutMs?: number;
  clock?: () => number;
  /** Redacts error text built from Sentry's answers (default: patterns only); our own token is always added. */
  redactor?: Redactor;
}

/** Upstream text kept in an error: enough to read the reason, not a whole echoed request. */
const MAX_ERROR_TEXT = 300;

export class SentryApi {
  private readonly base: string;
  private readonly redactor: Redactor;

  constructor(
    private readonly cfg: Pick<SentryConfig, 'url' | 'org' | 'authToken'>,
    private readonly options: SentryApiOptions = {},
  ) {
    this.base = cfg.url.replace(/\/+$/, '');
    this.redactor = (options.redactor ?? patternRedactor).with([cfg.authToken]);
  }

  /** Error text that may reach a chat (service.ts shows `reason`): cut, and without any secret. */
  private clean(s: string): string {
    return this.redactor.text(s.length > MAX_ERROR_TEXT ? `${s.slice(0, MAX_ERROR_TEXT)}…` : s);
  }

  private issuePath(issueId: string): string {
    return `/api/0/organizations/${encodeURIComponent(this.cfg.org)}/issues/${encodeURIComponent(issueId)}/`;
  }

  /** One call; throws UpstreamError for non-2xx. */
  async call<T = unknown>(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<{ status: number; data: T }> {
    const timeout = this.options.timeoutMs ?? 10_000;
    let res;
    try {
      res = await request(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.cfg.authToken}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (err) {
      throw new UpstreamError('sentry', 0, this.clean(`request failed: ${(err as Error).message}`));
    }
    const text = await res.body.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, data: data as T };
    // A proxy or a debugging Sentry may echo the request, `authorization: Bearer …` included.
    throw new UpstreamError('sentry', res.statusCode, this.clean(describe(res.statusCode, data)), retryAfter(res.statusCode, res.headers, this.options.clock ?? Date.now));
  }

  getIssue(issueId: string): Promise<{ status: number; data: Record<string, unknown> }> {
    return this.call('GET', this.issuePath(issueId));
  }

  /** PUT only the fields to change (sentry.md 3.3). */
  async updateIssue(issueId: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await this.call<Record<string, unknown>>('PUT', this.issuePath(issueId), body)).data;
  }

  resolve(issueId: string): Promise<Record<string, unknown>> {
    return this.updateIssue(issueId, { status: 'resolved' });
  }

  unresolve(issueId: string): Promise<Record<string, unknown>> {
    return this.updateIssue(issueId, { status: 'unresolved' });
  }

  /** Ignore for N minutes, until N more events (in a window), or forever (sentry.md 3.3 table). */
  ignore(issueId: string, spec: IgnoreSpec): Promise<Record<string, unknown>> {
    if (spec === 'forever') return this.updateIssue(issueId, { status: 'ignored', substatus: 'archived_forever' });
    if ('minutes' in spec) return this.updateIssue(issueId, { status: 'ignored', statusDetails: { ignoreDuration: spec.minutes } });
    return this.updateIssue(issueId, {
      status: 'ignored',
      statusDetails: { ignoreCount: spec.count, ...(spec.windowMinutes ? { ignoreWindow: spec.windowMinutes } : {}) },
    });
  }

  /** `user:<id>`, `team:<id>`, username or email; null unassigns (no webhook follows: sentry.md 3.3). */
  assign(issueId: string, assignee: string | null): Promise<Record<string, unknown>> {
    return this.updateIssue(issueId, { assignedTo: assignee });
  }

  /** A note on the issue: records who clicked, since API actions are attributed to the integration (sentry.md 3.1). */
  async addNote(issueId: string, text: string): Promise<void> {
    await this.call('POST', `${this.issuePath(issueId)}notes/`, { text });
  }

  /** Create the release if missing (201 created, 208 existed: sentry.md 3.4). */
  async ensureRelease(version: string, projects: string[], extra: { ref?: string; url?: string } = {}): Promise<void> {
    await this.call('POST', `/api/0/organizations/${encodeURIComponent(this.cfg.org)}/releases/`, { version, projects, ...extra });
  }

  /** Record a deploy of a release to an environment (sentry.md 3.4). */
  async createDeploy(version: string, deploy: { environment: string; name?: string; url?: string; projects?: string[] }): Promise<void> {
    await this.call(
      'POST',
      `/api/0/organizations/${encodeURIComponent(this.cfg.org)}/releases/${encodeURIComponent(version)}/deploys/`,
      deploy,
    );
  }
}

function describe(status: number, data: unknown): string {
  const d = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  if (typeof d.detail === 'string') return d.detail;
  // DRF field errors: {"assignedTo": ["Cannot assign to non-team member"]}
  const fieldErrors = Object.entries(d)
    .filter(([, v]) => Array.isArray(v))
    .map(([k, v]) => `${k}: ${(v as unknown[]).join(', ')}`);
  if (fieldErrors.length > 0) return fieldErrors.join('; ');
  const base: Record<number, string> = { 401: 'token invalid', 403: 'token lacks permission', 404: 'not found', 429: 'rate limited' };
  return base[status] ?? (typeof data === 'string' && data ? data.slice(0, 200) : 'error');
}

/** Retry-After if present; else X-Sentry-Rate-Limit-Reset (epoch seconds); else 1 s (sentry.md 3.6). */
function retryAfter(status: number, headers: Record<string, string | string[] | undefined>, clock: () => number): number | undefined {
  if (status !== 429) return undefined;
  const h = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ra = Number(h('retry-after'));
  if (Number.isFinite(ra) && ra > 0) return Math.ceil(ra);
  const reset = Number(h('x-sentry-rate-limit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(1, Math.ceil(reset - clock() / 1000));
  return 1;
}
