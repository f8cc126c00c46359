/**
 * GitLab REST API v4 client (pipelines and their jobs): the one place opsbot talks to GitLab.
 * Used by `/gitlab` commands and by the deploy feature's `gitlab-pipeline` engine. The interface is
 * fixed (other features build on it). Facts: ../../../shared/docs/gitlab.md §3.
 */
import { request } from 'undici';
import { z } from 'zod';
import { UpstreamError } from '../core/errors.ts';
import { patternRedactor, type Redactor } from '../core/redact.ts';

/** A pipeline as opsbot uses it (camelCase subset of GitLab's pipeline entity). */
export interface GitlabPipeline {
  id: number;
  iid?: number;
  status: string;
  ref: string;
  sha: string;
  webUrl: string;
  createdAt?: string;
  updatedAt?: string;
  user?: { username: string; name: string };
}

/** A job of a pipeline (gitlab.md §3.7). */
export interface GitlabJob {
  id: number;
  name: string;
  stage: string;
  status: string;
  webUrl: string;
  failureReason?: string;
  allowFailure?: boolean;
}

/** What a pipeline is created with besides `ref` and `variables`. */
export interface PipelineCreateOptions {
  /** `spec:inputs` values (gitlab.md §3.2: `inputs`, GA in 18.1): the documented replacement for variables on GitLab.com. */
  inputs?: Record<string, string>;
}

/** A pipeline started with a trigger token (gitlab.md §3.3): the token only starts pipelines. */
export interface PipelineTrigger extends PipelineCreateOptions {
  token: string;
  ref: string;
  variables?: Record<string, string>;
}

/** Pipelines of one project; `project` is a path (`group/demo`) or a numeric id, URL-encoded by the client. */
export interface GitlabApi {
  /** A 400 "Insufficient permissions to set pipeline variables" is the project forbidding variables (gitlab.md §3.2). */
  createPipeline(project: string, ref: string, variables: Record<string, string>, opts?: PipelineCreateOptions): Promise<GitlabPipeline>;
  /** `POST /projects/:id/trigger/pipeline`. Optional so stand-ins for other features need not implement it; createGitlabApi does. */
  triggerPipeline?(project: string, trigger: PipelineTrigger): Promise<GitlabPipeline>;
  getPipeline(project: string, id: number): Promise<GitlabPipeline>;
  listPipelines(project: string, opts?: { ref?: string; perPage?: number }): Promise<GitlabPipeline[]>;
  retryPipeline(project: string, id: number): Promise<GitlabPipeline>;
  cancelPipeline(project: string, id: number): Promise<GitlabPipeline>;
  listPipelineJobs(project: string, id: number, opts?: { scope?: string[] }): Promise<GitlabJob[]>;
}

const SERVICE = 'gitlab';
/** Jobs are paginated (gitlab.md §3.5); a pipeline with more than this many pages is cut off. */
const MAX_JOB_PAGES = 10;

// Lenient: versions differ (gitlab.md §5), keep only what opsbot reads.
const pipelineWire = z.object({
  id: z.number(),
  iid: z.number().nullish(),
  status: z.string(),
  ref: z.string().nullish(),
  sha: z.string().nullish(),
  web_url: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  user: z.object({ username: z.string(), name: z.string() }).nullish(),
});
const jobWire = z.object({
  id: z.number(),
  name: z.string(),
  stage: z.string().nullish(),
  status: z.string(),
  web_url: z.string().nullish(),
  failure_reason: z.string().nullish(),
  allow_failure: z.boolean().nullish(),
});

function toPipeline(raw: unknown): GitlabPipeline {
  const r = pipelineWire.safeParse(raw);
  if (!r.success) throw new UpstreamError(SERVICE, 200, 'unexpected pipeline response shape');
  const p = r.data;
  return {
    id: p.id,
    ...(p.iid != null ? { iid: p.iid } : {}),
    status: p.status,
    ref: p.ref ?? '',
    sha: p.sha ?? '',
    webUrl: p.web_url ?? '',
    ...(p.created_at ? { createdAt: p.created_at } : {}),
    ...(p.updated_at ? { updatedAt: p.updated_at } : {}),
    ...(p.user ? { user: { username: p.user.username, name: p.user.name } } : {}),
  };
}

function toJob(raw: unknown): GitlabJob {
  const r = jobWire.safeParse(raw);
  if (!r.success) throw new UpstreamError(SERVICE, 200, 'unexpected job response shape');
  const j = r.data;
  return {
    id: j.id,
    name: j.name,
    stage: j.stage ?? '',
    status: j.status,
    webUrl: j.web_url ?? '',
    ...(j.failure_reason ? { failureReason: j.failure_reason } : {}),
    ...(j.allow_failure != null ? { allowFailure: j.allow_failure } : {}),
  };
}

/**
 * GitLab error bodies: `{"message": "…"}`, `{"message": {"field": ["…"]}}`, OAuth-style
 * `{"error", "error_description"}`, or plain text (429 `Retry later`). gitlab.md §3.1, api-errors.json.
 */
export function describeGitlabError(bodyText: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return bodyText.trim().slice(0, 300) || 'no body';
  }
  if (parsed && typeof parsed === 'object') {
    const o = parsed as Record<string, unknown>;
    const m = o.message;
    if (typeof m === 'string') return m;
    if (m && typeof m === 'object') {
      const parts = Object.entries(m as Record<string, unknown>).map(([field, msgs]) => {
        const text = Array.isArray(msgs) ? msgs.map(String).join(', ') : String(msgs);
        return field === 'base' ? text : `${field}: ${text}`;
      });
      if (parts.length) return parts.join('; ');
    }
    if (typeof o.error === 'string') {
      return typeof o.error_description === 'string' ? `${o.error}: ${o.error_description}` : o.error;
    }
  }
  return bodyText.trim().slice(0, 300);
}

function parseRetryAfter(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  const n = Number(s);
  if (Number.isFinite(n) && n >= 0) return n;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** `https://gitlab.example.com` (or `…/api/v4`) → `https://gitlab.example.com/api/v4`. */
function apiBase(url: string): string {
  const u = url.replace(/\/+$/, '');
  return u.endsWith('/api/v4') ? u : `${u}/api/v4`;
}

/** Upstream text kept in an error: enough to read the reason, not a whole echoed request. */
const MAX_ERROR_TEXT = 300;

/**
 * Create the client. The token goes only into the `PRIVATE-TOKEN` header, never into URLs or errors:
 * error text from GitLab (which a proxy or GitLab itself may fill with the echoed request headers) is
 * cut and redacted with `redactor` (default: patterns only) plus our own token.
 */
export function createGitlabApi(opts: { url: string; token: string; fetchTimeoutMs?: number; redactor?: Redactor }): GitlabApi {
  const base = apiBase(opts.url);
  const redactor = (opts.redactor ?? patternRedactor).with([opts.token]);
  const cleanText = (s: string) => redactor.text(s.length > MAX_ERROR_TEXT ? `${s.slice(0, MAX_ERROR_TEXT)}…` : s);
  const timeoutMs = opts.fetchTimeoutMs ?? 10_000;
  const proj = (project: string) => `/projects/${encodeURIComponent(project)}`;

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    /** A trigger-token request: a form body carrying its own credential, no `PRIVATE-TOKEN` (gitlab.md §3.3). */
    form?: { body: URLSearchParams; secret: string },
  ): Promise<{ json: unknown; headers: Record<string, string | string[] | undefined> }> {
    let res;
    const clean = form ? (s: string) => redactor.with([form.secret]).text(s.length > MAX_ERROR_TEXT ? `${s.slice(0, MAX_ERROR_TEXT)}…` : s) : cleanText;
    try {
      res = await request(base + path, {
        method,
        headers: form
          ? { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }
          : {
              'private-token': opts.token,
              accept: 'application/json',
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
        ...(form ? { body: form.body.toString() } : body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const name = (err as { name?: string }).name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      // No HTTP status: 504 for our timeout, 502 for a connection failure (message says which).
      throw new UpstreamError(
        SERVICE,
        timedOut ? 504 : 502,
        timedOut ? `no answer within ${timeoutMs} ms` : clean(`cannot reach GitLab (${(err as Error).message})`),
      );
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) {
      const retryAfter = res.statusCode === 429 ? parseRetryAfter(res.headers['retry-after']) : undefined;
      throw new UpstreamError(SERVICE, res.statusCode, clean(describeGitlabError(text)), retryAfter);
    }
    try {
      return { json: text ? JSON.parse(text) : null, headers: res.headers };
    } catch {
      throw new UpstreamError(SERVICE, res.statusCode, 'response is not JSON');
    }
  }

  return {
    async createPipeline(project, ref, variables, o = {}) {
      const vars = Object.entries(variables).map(([key, value]) => ({ key, value }));
      // Send `variables` only when there are some: GitLab.com projects may forbid them (gitlab.md §3.2).
      const inputs = o.inputs && Object.keys(o.inputs).length ? { inputs: o.inputs } : {};
      const { json } = await call('POST', `${proj(project)}/pipeline`, { ref, ...(vars.length ? { variables: vars } : {}), ...inputs });
      return toPipeline(json);
    },
    async triggerPipeline(project, t) {
      // Form fields `token`, `ref`, `variables[KEY]`, `inputs[name]` (gitlab.md §3.3); the token in the body, never the URL.
      const form = new URLSearchParams({ token: t.token, ref: t.ref });
      for (const [k, v] of Object.entries(t.variables ?? {})) form.append(`variables[${k}]`, v);
      for (const [k, v] of Object.entries(t.inputs ?? {})) form.append(`inputs[${k}]`, v);
      const { json } = await call('POST', `${proj(project)}/trigger/pipeline`, undefined, { body: form, secret: t.token });
      return toPipeline(json);
    },
    async getPipeline(project, id) {
      return toPipeline((await call('GET', `${proj(project)}/pipelines/${id}`)).json);
    },
    async listPipelines(project, o = {}) {
      const q = new URLSearchParams({ per_page: String(Math.min(Math.max(o.perPage ?? 20, 1), 100)), order_by: 'id', sort: 'desc' });
      if (o.ref) q.set('ref', o.ref);
      const { json } = await call('GET', `${proj(project)}/pipelines?${q}`);
      if (!Array.isArray(json)) throw new UpstreamError(SERVICE, 200, 'pipeline list is not an array');
      return json.map(toPipeline);
    },
    async retryPipeline(project, id) {
      return toPipeline((await call('POST', `${proj(project)}/pipelines/${id}/retry`)).json);
    },
    async cancelPipeline(project, id) {
      // 200 "regardless of the pipeline's state" (gitlab.md §3.6): callers check the returned status.
      return toPipeline((await call('POST', `${proj(project)}/pipelines/${id}/cancel`)).json);
    },
    async listPipelineJobs(project, id, o = {}) {
      const jobs: GitlabJob[] = [];
      let page = '1';
      for (let i = 0; i < MAX_JOB_PAGES && page; i++) {
        const q = new URLSearchParams({ per_page: '100', page });
        for (const s of o.scope ?? []) q.append('scope[]', s);
        const { json, headers } = await call('GET', `${proj(project)}/pipelines/${id}/jobs?${q}`);
        if (!Array.isArray(json)) throw new UpstreamError(SERVICE, 200, 'job list is not an array');
        jobs.push(...json.map(toJob));
        const next = headers['x-next-page'];
        page = (Array.isArray(next) ? next[0] : next) ?? '';
      }
      return jobs;
    },
  };
}
