/**
 * A stand-in GitLab API on 127.0.0.1 (gitlab.md §3.2/3.3/3.4/3.6): each GET advances a pipeline one status.
 * - `POST /projects/:id/pipeline` (JSON `ref`, `variables: [{key, value}]`, `inputs: {…}`) → 201; with
 *   `forbidVariables` (the project's `ci_pipeline_variables_minimum_override_role: no_one_allowed`, the
 *   GitLab.com default) any non-empty `variables` → 400 `{"message":{"base":["Insufficient permissions to set pipeline variables"]}}`;
 * - `POST /projects/:id/trigger/pipeline` (form `token`, `ref`, `variables[K]`, `inputs[K]`; no PRIVATE-TOKEN
 *   needed) → 201 with `source: trigger`; a wrong token → 404 (as for a personal access token);
 * - `POST /projects/:id/pipelines/:pid/cancel` → 200 whatever the state (§3.6), with the status after the cancel:
 *   `canceled` at once, or (`cancelVia: 'canceling'`) `canceling` for `cancelingPolls` GETs first; a pipeline
 *   already finished keeps its status (a cancel that lost the race);
 * - `:id` is the URL-encoded path or the numeric id (`ids` maps ids to paths).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePipeline {
  id: number;
  project: string;
  ref: string;
  variables: { key: string; value: string }[];
  inputs: Record<string, unknown>;
  source: 'api' | 'trigger';
  /** Statuses the pipeline goes through, one per GET. */
  script: string[];
  status: string;
}

const FINISHED = new Set(['success', 'failed', 'canceled', 'skipped']);

export class FakeGitlab {
  readonly pipelines = new Map<number, FakePipeline>();
  readonly requests: { method: string; url: string; token?: string | undefined; body?: string }[] = [];
  /** The status script the next created pipeline follows. */
  nextScript = ['pending', 'running', 'success'];
  /** The project forbids pipeline variables (ci_pipeline_variables_minimum_override_role: no_one_allowed). */
  forbidVariables = false;
  triggerToken = 'glptt-trigger-token-0123456789';
  /** Numeric project ids → paths. */
  ids: Record<string, string> = { '42': 'group/demo' };
  cancelVia: 'canceled' | 'canceling' = 'canceled';
  cancelingPolls = 3;
  private nextId = 1000;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers['private-token'] as string | undefined, ...(body ? { body } : {}) });
        const send = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        const pathOf = (id: string) => {
          const p = decodeURIComponent(id);
          return this.ids[p] ?? p;
        };
        const wire = (p: FakePipeline) => ({
          id: p.id, iid: p.id, status: p.status, ref: p.ref, sha: 'abc123', source: p.source, web_url: `${this.url}/${p.project}/-/pipelines/${p.id}`,
        });
        const create = (project: string, ref: string, variables: { key: string; value: string }[], inputs: Record<string, unknown>, source: FakePipeline['source']) => {
          const p: FakePipeline = { id: this.nextId++, project, ref, variables, inputs, source, script: [...this.nextScript], status: 'created' };
          this.pipelines.set(p.id, p);
          return send(201, wire(p));
        };
        const trigger = /^\/api\/v4\/projects\/([^/]+)\/trigger\/pipeline$/.exec(req.url ?? '');
        if (trigger && req.method === 'POST') {
          const form = new URLSearchParams(body);
          if (form.get('token') !== this.triggerToken) return send(404, { message: '404 Not Found' });
          const pick = (prefix: string) =>
            [...form].filter(([k]) => k.startsWith(`${prefix}[`) && k.endsWith(']')).map(([k, v]) => [k.slice(prefix.length + 1, -1), v] as const);
          const variables = pick('variables').map(([key, value]) => ({ key, value }));
          return create(pathOf(trigger[1]!), form.get('ref') ?? '', variables, Object.fromEntries(pick('inputs')), 'trigger');
        }
        const m = /^\/api\/v4\/projects\/([^/]+)\/pipelines?(?:\/(\d+))?(?:\/(cancel))?$/.exec(req.url ?? '');
        if (!m) return send(404, { message: '404 Not Found' });
        const project = pathOf(m[1]!);
        if (req.method === 'POST' && !m[2]) {
          const b = JSON.parse(body) as { ref: string; variables?: { key: string; value: string }[]; inputs?: Record<string, unknown> };
          if (this.forbidVariables && b.variables?.length) return send(400, { message: { base: ['Insufficient permissions to set pipeline variables'] } });
          return create(project, b.ref, b.variables ?? [], b.inputs ?? {}, 'api');
        }
        const p = this.pipelines.get(Number(m[2]));
        if (!p || p.project !== project) return send(404, { message: '404 Pipeline Not Found' });
        if (req.method === 'POST' && m[3] === 'cancel') {
          if (FINISHED.has(p.status)) return send(200, wire(p));
          if (this.cancelVia === 'canceling') {
            p.status = 'canceling';
            p.script = [...Array<string>(this.cancelingPolls).fill('canceling'), 'canceled'];
          } else {
            p.status = 'canceled';
            p.script = [];
          }
          return send(200, wire(p));
        }
        const next = p.script.shift();
        if (next) p.status = next;
        return send(200, wire(p));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
