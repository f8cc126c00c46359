/**
 * A stand-in GitLab REST API on 127.0.0.1 (gitlab.md §5): serves the api-*.json fixtures, records
 * each request (PRIVATE-TOKEN, raw path with the encoded project, JSON body) and can be told to fail.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export const FIXTURES = new URL('../../fixtures/gitlab/', import.meta.url);
export const fixtureText = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
export const fixtureJson = <T = any>(name: string): T => JSON.parse(fixtureText(name)) as T;

export interface Recorded {
  method: string;
  /** raw request path as sent, e.g. /api/v4/projects/group%2Fdemo/pipeline */
  url: string;
  token: string | undefined;
  body: string;
}

export interface FakeAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeGitlab {
  url: string;
  requests: Recorded[];
  /** Answer the next matching request(s) with this instead of the fixture. */
  override(match: (r: Recorded) => boolean, answer: FakeAnswer): void;
  close(): Promise<void>;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): FakeAnswer => ({
  status,
  body: typeof value === 'string' ? value : JSON.stringify(value),
  headers: { 'content-type': 'application/json', ...headers },
});

function route(r: Recorded): FakeAnswer {
  const path = r.url.split('?')[0] ?? '';
  const m = /^\/api\/v4\/projects\/([^/]+)(\/.*)$/.exec(path);
  if (!m) return json(404, { message: '404 Not Found' });
  const rest = m[2] ?? '';
  if (r.method === 'POST' && rest === '/pipeline') return json(201, fixtureText('api-create-pipeline.response.json'));
  if (r.method === 'GET' && rest === '/pipelines') {
    const h = fixtureJson<Record<string, string>>('api-list-pipelines.headers.json');
    return json(200, fixtureText('api-list-pipelines.response.json'), h);
  }
  let mm = /^\/pipelines\/(\d+)$/.exec(rest);
  if (r.method === 'GET' && mm) return json(200, fixtureText('api-get-pipeline.response.json'));
  mm = /^\/pipelines\/(\d+)\/retry$/.exec(rest);
  if (r.method === 'POST' && mm) return json(201, fixtureText('api-retry-pipeline.response.json'));
  mm = /^\/pipelines\/(\d+)\/cancel$/.exec(rest);
  if (r.method === 'POST' && mm) return json(200, fixtureText('api-cancel-pipeline.response.json'));
  mm = /^\/pipelines\/(\d+)\/jobs$/.exec(rest);
  if (r.method === 'GET' && mm) {
    // Two pages of one job each, to exercise x-next-page.
    const page = new URL(r.url, 'http://x').searchParams.get('page') ?? '1';
    const job = (id: number, name: string) => ({
      id, name, stage: 'test', status: 'failed', failure_reason: 'script_failure', allow_failure: false,
      web_url: `https://gitlab.example.com/group/demo/-/jobs/${id}`,
    });
    return page === '1'
      ? json(200, [job(378, 'test-build')], { 'x-next-page': '2', 'x-page': '1' })
      : json(200, [job(381, 'lint')], { 'x-next-page': '', 'x-page': '2' });
  }
  return json(404, { message: '404 Not Found' });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeGitlab(): Promise<FakeGitlab> {
  const requests: Recorded[] = [];
  const overrides: { match: (r: Recorded) => boolean; answer: FakeAnswer }[] = [];
  const server: Server = createServer(async (req, res) => {
    const rec: Recorded = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      token: req.headers['private-token'] as string | undefined,
      body: await readBody(req),
    };
    requests.push(rec);
    const i = overrides.findIndex((o) => o.match(rec));
    const answer = i >= 0 ? overrides.splice(i, 1)[0]!.answer : route(rec);
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    override: (match, answer) => overrides.push({ match, answer }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
