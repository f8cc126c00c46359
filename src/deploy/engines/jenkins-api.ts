/**
 * The few Jenkins remote access API calls the `jenkins` engine makes (alerting-and-engines.md §3;
 * jenkins.io "Remote Access API" and "CSRF Protection"; jenkinsci/jenkins core sources named below).
 * The API token goes only into the `Authorization` header: never into a URL, a log line or an error
 * (every message built here passes `clean`, which removes the token and credential-shaped text).
 */
import { request } from 'undici';
import { z } from 'zod';
import { patternRedactor } from '../../core/redact.ts';

export interface JenkinsClientOptions {
  /** The Jenkins root, e.g. `https://jenkins.example.com` or `https://host/jenkins`. */
  url: string;
  user: string;
  /** The user's API token (basic auth `user:token`). */
  token: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/** `GET /queue/item/<id>/api/json`, the fields the engine reads. */
export interface QueueItem {
  id: number;
  /** Why it still waits ("Waiting for next available executor"); null once it left the queue. */
  why?: string | undefined;
  cancelled: boolean;
  /** Set once the item left the queue for an executor. */
  executable?: { number: number; url?: string | undefined } | undefined;
}

/** `GET <job>/<n>/api/json`, the fields the engine reads. */
export interface JenkinsBuild {
  number: number;
  building: boolean;
  /** null while running; SUCCESS, UNSTABLE, FAILURE, NOT_BUILT, ABORTED. May be set before `building` turns false. */
  result: string | null;
  url?: string | undefined;
}

/** One `progressiveText` answer: bytes from `start`, the next offset, and whether the log may still grow. */
export interface LogChunk {
  bytes: Buffer;
  next: number;
  more: boolean;
}

/** An HTTP answer Jenkins gave that the engine did not expect (the message never holds the token). */
export class JenkinsHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'JenkinsHttpError';
  }
}

export interface JenkinsApi {
  /** `POST <job>/buildWithParameters` → the queue item (Location header). `merged`: Jenkins joined an identical item already queued (303). */
  trigger(job: string, parameters: Record<string, string>): Promise<{ queueId: number; merged: boolean }>;
  /** undefined when Jenkins no longer knows the item (404: forgotten some minutes after it left the queue). */
  queueItem(id: number): Promise<QueueItem | undefined>;
  build(job: string, n: number): Promise<JenkinsBuild>;
  log(job: string, n: number, start: number): Promise<LogChunk>;
  cancelQueueItem(id: number): Promise<void>;
  stopBuild(job: string, n: number): Promise<void>;
  /** The page of the job / of one build, under the configured root. */
  jobUrl(job: string): string;
  buildUrl(job: string, n: number): string;
}

/**
 * `team/deploy-demo` → `/job/team/job/deploy-demo`: items in folders are addressed by one `job/<name>`
 * segment per level, each segment URL-encoded (alerting-and-engines.md §3, "Jobs in folders").
 */
export function jobPath(job: string): string {
  return job
    .split('/')
    .filter((s) => s !== '')
    .map((s) => `/job/${encodeURIComponent(s)}`)
    .join('');
}

// Lenient wire shapes: Jenkins adds fields freely (`_class`, `actions`, …); keep only what is read.
const queueWire = z.object({
  id: z.number(),
  why: z.string().nullish(),
  cancelled: z.boolean().nullish(),
  executable: z.object({ number: z.number(), url: z.string().nullish() }).nullish(),
});
const buildWire = z.object({ number: z.number(), building: z.boolean(), result: z.string().nullish(), url: z.string().nullish() });
const crumbWire = z.object({ crumb: z.string(), crumbRequestField: z.string() });

type Headers = Record<string, string | string[] | undefined>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function createJenkinsApi(opts: JenkinsClientOptions): JenkinsApi {
  const root = opts.url.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const auth = `Basic ${Buffer.from(`${opts.user}:${opts.token}`).toString('base64')}`;
  const redactor = patternRedactor.with([opts.token, auth]);
  const clean = (s: string) => redactor.text(s.length > 300 ? `${s.slice(0, 300)}…` : s);
  /** The crumb header, once fetched (CSRF protection), and the session cookies it is bound to. */
  let crumb: { field: string; value: string } | undefined;
  const cookies = new Map<string, string>();

  const keepCookies = (h: Headers) => {
    const set = h['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const pair = c.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };

  async function send(method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
    const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (method === 'POST' && crumb) headers[crumb.field] = crumb.value;
    if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let res;
    try {
      // undici's request() follows no redirects: the 201/303 Location of a trigger stays readable.
      res = await request(root + path, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new JenkinsHttpError(504, `jenkins: no answer within ${timeoutMs} ms (${method} ${path})`);
      throw new JenkinsHttpError(502, clean(`jenkins: cannot reach ${root} (${(err as Error).message})`));
    }
    const bytes = Buffer.from(await res.body.arrayBuffer());
    keepCookies(res.headers);
    return { status: res.statusCode, headers: res.headers, bytes };
  }

  /**
   * A POST, with the CSRF crumb when the instance wants one. Requests authenticated with an API token
   * need none (Jenkins 2.96+), but an instance can still refuse with 403 ("No valid crumb was included
   * in the request"): then fetch `GET /crumbIssuer/api/json` → `{crumb, crumbRequestField}`, keep the
   * session cookie it sets (since 2.176.2 a crumb is only valid with the web session it was issued
   * for: jenkins.io "CSRF Protection", CloudBees KB "CSRF protection explained") and retry once.
   */
  async function post(path: string, body?: string) {
    const r = await send('POST', path, body);
    if (r.status !== 403) return r;
    const c = await send('GET', '/crumbIssuer/api/json');
    if (c.status !== 200) return r; // no crumb issuer: the 403 is a real permission problem
    const parsed = crumbWire.safeParse(json(c.bytes));
    if (!parsed.success) return r;
    crumb = { field: parsed.data.crumbRequestField, value: parsed.data.crumb };
    return send('POST', path, body);
  }

  const fail = (what: string, r: { status: number; bytes: Buffer }): never => {
    const text = r.bytes.toString('utf8').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    const hint = r.status === 401 ? ' (check engine.user and engine.token)' : r.status === 403 ? ' (the user lacks a permission, or CSRF protection refused the request)' : '';
    throw new JenkinsHttpError(r.status, clean(`jenkins: ${what}: HTTP ${r.status}${hint}${text ? `: ${text.slice(0, 200)}` : ''}`));
  };

  return {
    async trigger(job, parameters) {
      const path = `${jobPath(job)}/buildWithParameters`;
      const r = await post(path, new URLSearchParams(parameters).toString());
      // ParametersDefinitionProperty._doBuild: 201 Created with `Location: <root>/queue/item/<id>/`, or
      // 303 See Other with the same Location when an identical item was already queued (JENKINS-66105).
      if (r.status !== 201 && r.status !== 303) fail(`POST ${path}`, r);
      const m = /\/queue\/item\/(\d+)\/?$/.exec(first(r.headers.location) ?? '');
      if (!m) throw new JenkinsHttpError(r.status, `jenkins: POST ${path}: no queue item in the Location header`);
      return { queueId: Number(m[1]), merged: r.status === 303 };
    },
    async queueItem(id) {
      const r = await send('GET', `/queue/item/${id}/api/json`);
      if (r.status === 404) return undefined;
      if (r.status !== 200) fail(`queue item ${id}`, r);
      const p = queueWire.safeParse(json(r.bytes));
      if (!p.success) throw new JenkinsHttpError(200, `jenkins: queue item ${id}: unexpected answer`);
      const e = p.data.executable;
      return { id: p.data.id, why: p.data.why ?? undefined, cancelled: p.data.cancelled ?? false, executable: e ? { number: e.number, url: e.url ?? undefined } : undefined };
    },
    async build(job, n) {
      const r = await send('GET', `${jobPath(job)}/${n}/api/json`);
      if (r.status !== 200) fail(`build #${n}`, r);
      const p = buildWire.safeParse(json(r.bytes));
      if (!p.success) throw new JenkinsHttpError(200, `jenkins: build #${n}: unexpected answer`);
      return { number: p.data.number, building: p.data.building, result: p.data.result ?? null, url: p.data.url ?? undefined };
    },
    async log(job, n, start) {
      const r = await send('GET', `${jobPath(job)}/${n}/logText/progressiveText?start=${start}`);
      if (r.status !== 200) fail(`console of build #${n}`, r);
      // Stapler's LargeText.doProgressText: `X-Text-Size` is the next start offset (bytes);
      // `X-More-Data: true` is sent only while the log may still grow.
      const size = Number(first(r.headers['x-text-size']));
      const next = Number.isFinite(size) && size >= start ? size : start + r.bytes.length;
      return { bytes: r.bytes, next, more: first(r.headers['x-more-data']) === 'true' };
    },
    async cancelQueueItem(id) {
      // Queue.doCancelItem: @RequirePOST, cancels if the item exists and may be cancelled, then
      // forwardToPreviousPage() (a redirect). The queue item's `cancelled` says whether it worked.
      const r = await post(`/queue/cancelItem?id=${id}`);
      if (r.status >= 400 && r.status !== 404) fail(`cancel queue item ${id}`, r);
    },
    async stopBuild(job, n) {
      // Run/Executor doStop: @RequirePOST, asks the executor to abort, then redirects; the build
      // ends with result ABORTED (the engine waits for that before calling the task cancelled).
      const r = await post(`${jobPath(job)}/${n}/stop`);
      if (r.status >= 400) fail(`stop build #${n}`, r);
    },
    jobUrl: (job) => `${root}${jobPath(job)}/`,
    buildUrl: (job, n) => `${root}${jobPath(job)}/${n}/`,
  };
}

function json(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
