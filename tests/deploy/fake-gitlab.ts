/** A stand-in GitLab API on 127.0.0.1 (gitlab.md §3.2/3.4/3.6): each GET advances a pipeline one status. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePipeline {
  id: number;
  project: string;
  ref: string;
  variables: { key: string; value: string }[];
  /** Statuses the pipeline goes through, one per GET. */
  script: string[];
  status: string;
}

export class FakeGitlab {
  readonly pipelines = new Map<number, FakePipeline>();
  readonly requests: { method: string; url: string; token?: string | undefined }[] = [];
  /** The status script the next created pipeline follows. */
  nextScript = ['pending', 'running', 'success'];
  private nextId = 1000;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers['private-token'] as string | undefined });
        const m = /^\/api\/v4\/projects\/([^/]+)\/pipelines?(?:\/(\d+))?(?:\/(cancel))?$/.exec(req.url ?? '');
        const send = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (!m) return send(404, { message: '404 Not Found' });
        const project = decodeURIComponent(m[1]!);
        const wire = (p: FakePipeline) => ({ id: p.id, iid: p.id, status: p.status, ref: p.ref, sha: 'abc123', web_url: `${this.url}/${project}/-/pipelines/${p.id}` });
        if (req.method === 'POST' && !m[2]) {
          const b = JSON.parse(body) as { ref: string; variables?: { key: string; value: string }[] };
          const p: FakePipeline = { id: this.nextId++, project, ref: b.ref, variables: b.variables ?? [], script: [...this.nextScript], status: 'created' };
          this.pipelines.set(p.id, p);
          return send(201, wire(p));
        }
        const p = this.pipelines.get(Number(m[2]));
        if (!p) return send(404, { message: '404 Pipeline Not Found' });
        if (req.method === 'POST' && m[3] === 'cancel') {
          p.status = 'canceled';
          p.script = [];
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
