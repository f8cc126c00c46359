/**
 * A stand-in Jenkins on 127.0.0.1 that follows the remote access API as the engine uses it
 * (alerting-and-engines.md §3; jenkins.io "Remote Access API", "CSRF Protection"; jenkinsci/jenkins core):
 * - basic auth `user:apiToken`, else 401 ("Invalid password/token for user");
 * - `POST <job>/buildWithParameters` (form body or query) → 201, empty body, `Location: <root>/queue/item/<id>/`
 *   (ParametersDefinitionProperty._doBuild); GET → 405 (@RequirePOST);
 * - folders: `/job/<folder>/job/<name>`, each segment URL-encoded;
 * - `GET /queue/item/<id>/api/json`: a WaitingItem (`why`, `executable` absent, no `cancelled`) for
 *   `queuePolls` polls, then a LeftItem with `executable: {number, url}` (or `cancelled: true`, `executable: null`);
 * - `GET <job>/<n>/api/json`: `building`, `result` (null while running), `url`; each poll advances the build one
 *   step of its script; a build can carry a result while still building (`midBuildResult`);
 * - `GET <job>/<n>/logText/progressiveText?start=` → the bytes from `start`, `X-Text-Size` = log length,
 *   `X-More-Data: true` only while building (stapler LargeText.doProgressText);
 * - `POST /queue/cancelItem?id=` (Queue.doCancelItem: cancels a waiting item, answers with a redirect);
 * - `POST <job>/<n>/stop` → redirect; the build ends ABORTED `abortPolls` polls later ("Aborted by <user>");
 * - `crumbRequired`: every POST without a crumb valid for its session → 403 "No valid crumb was included in the
 *   request"; `GET /crumbIssuer/api/json` → `{crumb, crumbRequestField: "Jenkins-Crumb"}` and a `JSESSIONID`
 *   cookie the crumb is bound to (Jenkins 2.176.2+).
 * Not modelled: pipeline stages, the `delay` parameter, token-only auth (`?token=`), quiet periods.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeBuild {
  job: string;
  number: number;
  params: Record<string, string>;
  log: Buffer;
  building: boolean;
  result: string | null;
  /** Console chunks still to come, one per poll of the build (not necessarily whole lines). */
  script: string[];
  final: string;
  hold: boolean;
  stopHonoured: boolean;
  abortIn?: number;
  polls: number;
}

export interface FakeQueueItem {
  id: number;
  job: string;
  params: Record<string, string>;
  waitPolls: number;
  cancelled: boolean;
  build?: FakeBuild;
}

export class FakeJenkins {
  user = 'bot';
  token = 'jenkins-api-token-0123456789';
  jobs = new Set(['team/deploy-demo', 'deploy-flat', 'ops team/deploy demo']);
  /** Behaviour of the builds triggered from now on. */
  queuePolls = 2;
  script = ['Started by remote host 127.0.0.1\n', 'Deploying compo', 'nent-a \x1b[8mha:AAAAWB+LCAAAAAAAAP9b\x1b[0mv1.1.0 ✓\n', 'step 2\n'];
  result = 'SUCCESS';
  /** Stay building until stopped. */
  hold = false;
  /** false: a stop arrives too late, the build still ends with `result`. */
  stopHonoured = true;
  /** Polls between a stop and the ABORTED result. */
  abortPolls = 2;
  /** Set `result` this many polls before the build stops building (a step marking the build UNSTABLE). */
  midBuildResult = false;
  crumbRequired = false;
  /** A cancelItem that comes too late: the item is already being handed to an executor, the cancel does nothing. */
  cancelTooLate = false;

  readonly requests: { method: string; path: string; auth: boolean; crumb?: string | undefined; cookie?: string | undefined }[] = [];
  readonly queue = new Map<number, FakeQueueItem>();
  readonly builds: FakeBuild[] = [];
  private readonly nextNumber = new Map<string, number>();
  private readonly sessions = new Set<string>();
  private nextQueueId = 40;
  private server?: Server;
  url = '';

  /** The crumb Jenkins issues for a session (DefaultCrumbIssuer hashes user, session and a salt). */
  private crumbFor = (session: string) => createHash('sha256').update(`${this.user}:${session}:salt`).digest('hex');

  triggers(): number {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/buildWithParameters')).length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const u = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const expected = `Basic ${Buffer.from(`${this.user}:${this.token}`).toString('base64')}`;
    const auth = req.headers.authorization === expected;
    const cookie = req.headers.cookie;
    this.requests.push({ method, path: u.pathname + u.search, auth, crumb: req.headers['jenkins-crumb'] as string | undefined, cookie });
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...(json !== undefined ? { 'content-type': 'application/json;charset=utf-8' } : {}), ...headers });
      res.end(json !== undefined ? JSON.stringify(json) : '');
    };
    const html = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/html;charset=utf-8' });
      res.end(`<html><head><title>Error ${status}</title></head><body><h2>HTTP ERROR ${status}</h2><p>${text}</p></body></html>`);
    };
    if (!auth) return html(401, `Invalid password/token for user: ${this.user}`);

    if (u.pathname === '/crumbIssuer/api/json' && method === 'GET') {
      const session = `node0${createHash('md5').update(String(Math.random())).digest('hex').slice(0, 16)}`;
      this.sessions.add(session);
      return send(200, { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb: this.crumbFor(session), crumbRequestField: 'Jenkins-Crumb' }, {
        'set-cookie': `JSESSIONID.4a1b2c3d=${session}; Path=/; HttpOnly`,
      });
    }
    if (method === 'POST' && this.crumbRequired) {
      const session = /JSESSIONID\.[^=]+=([^;]+)/.exec(cookie ?? '')?.[1];
      const crumb = req.headers['jenkins-crumb'];
      if (!session || !this.sessions.has(session) || crumb !== this.crumbFor(session)) return html(403, 'No valid crumb was included in the request');
    }

    if (u.pathname === '/queue/cancelItem') {
      if (method !== 'POST') return html(405, 'This URL requires POST');
      const item = this.queue.get(Number(u.searchParams.get('id')));
      if (item && !item.build && !this.cancelTooLate) item.cancelled = true;
      return send(302, undefined, { location: `${this.url}/queue/` });
    }
    const q = /^\/queue\/item\/(\d+)\/api\/json$/.exec(u.pathname);
    if (q) {
      const item = this.queue.get(Number(q[1]));
      if (!item) return html(404, 'Not Found');
      return send(200, this.queueJson(item));
    }

    const j = /^((?:\/job\/[^/]+)+)\/(.*)$/.exec(u.pathname);
    if (!j) return html(404, 'Not Found');
    const job = j[1]!.split('/job/').slice(1).map(decodeURIComponent).join('/');
    if (!this.jobs.has(job)) return html(404, 'Not Found');
    const rest = j[2]!;
    if (rest === 'buildWithParameters') {
      if (method !== 'POST') return html(405, 'This URL requires POST');
      const params = Object.fromEntries([...new URLSearchParams(body), ...u.searchParams]);
      const item: FakeQueueItem = { id: this.nextQueueId++, job, params, waitPolls: this.queuePolls, cancelled: false };
      this.queue.set(item.id, item);
      return send(201, undefined, { location: `${this.url}/queue/item/${item.id}/` });
    }
    const b = /^(\d+)\/(api\/json|logText\/progressiveText|stop)$/.exec(rest);
    const build = b ? this.builds.find((x) => x.job === job && x.number === Number(b[1])) : undefined;
    if (!b || !build) return html(404, 'Not Found');
    if (b[2] === 'api/json') {
      this.advance(build);
      return send(200, { _class: 'hudson.model.FreeStyleBuild', number: build.number, url: this.buildUrl(build), building: build.building, result: build.result, displayName: `#${build.number}` });
    }
    if (b[2] === 'stop') {
      if (method !== 'POST') return html(405, 'This URL requires POST');
      if (build.building && build.abortIn === undefined) build.abortIn = this.abortPolls;
      return send(302, undefined, { location: this.buildUrl(build) });
    }
    const start = Math.max(0, Number(u.searchParams.get('start') ?? 0) || 0);
    res.writeHead(200, { 'content-type': 'text/plain;charset=utf-8', 'x-text-size': String(build.log.length), ...(build.building ? { 'x-more-data': 'true' } : {}) });
    res.end(build.log.subarray(Math.min(start, build.log.length)));
  }

  private buildUrl(b: FakeBuild) {
    return `${this.url}/job/${b.job.split('/').map(encodeURIComponent).join('/job/')}/${b.number}/`;
  }

  private queueJson(item: FakeQueueItem) {
    const task = { _class: 'hudson.model.FreeStyleProject', name: item.job.split('/').pop(), url: `${this.url}/job/${item.job.split('/').map(encodeURIComponent).join('/job/')}/` };
    if (item.cancelled) return { _class: 'hudson.model.Queue$LeftItem', id: item.id, why: null, cancelled: true, executable: null, task };
    if (!item.build && item.waitPolls-- <= 0) {
      const number = this.nextNumber.get(item.job) ?? 1;
      this.nextNumber.set(item.job, number + 1);
      item.build = { job: item.job, number, params: item.params, log: Buffer.alloc(0), building: true, result: null, script: [...this.script], final: this.result, hold: this.hold, stopHonoured: this.stopHonoured, polls: 0 };
      this.builds.push(item.build);
    }
    if (item.build) return { _class: 'hudson.model.Queue$LeftItem', id: item.id, why: null, cancelled: false, executable: { _class: 'hudson.model.FreeStyleBuild', number: item.build.number, url: this.buildUrl(item.build) }, task };
    return { _class: 'hudson.model.Queue$WaitingItem', id: item.id, why: 'Waiting for next available executor', blocked: false, buildable: true, stuck: false, executable: undefined, task };
  }

  /** One step of a build per poll of its api/json. */
  private advance(b: FakeBuild) {
    if (!b.building) return;
    b.polls++;
    const write = (s: string) => (b.log = Buffer.concat([b.log, Buffer.from(s, 'utf8')]));
    const finish = (result: string) => {
      write(`Finished: ${result}\n`);
      b.result = result;
      b.building = false;
    };
    if (b.abortIn !== undefined) {
      if (!b.stopHonoured) return finish(b.final);
      if (b.abortIn-- === this.abortPolls) write(`Aborted by ${this.user}\n`);
      if (b.abortIn < 0) finish('ABORTED');
      return;
    }
    const next = b.script.shift();
    if (next !== undefined) {
      write(next);
      if (this.midBuildResult && b.script.length === 0) b.result = b.final;
      return;
    }
    if (!b.hold) finish(b.final);
  }
}
