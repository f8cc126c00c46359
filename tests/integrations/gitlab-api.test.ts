import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitlabApi, describeGitlabError } from '../../src/integrations/gitlab-api.ts';
import { UpstreamError } from '../../src/core/errors.ts';
import { fixtureJson, startFakeGitlab, type FakeGitlab } from '../sources/gitlab/fake-gitlab.ts';

let gl: FakeGitlab;
const errors = fixtureJson('api-errors.json');
beforeAll(async () => {
  gl = await startFakeGitlab();
});
afterAll(async () => {
  await gl.close();
});

const api = () => createGitlabApi({ url: gl.url, token: 'glpat-test-token' });
const last = () => gl.requests[gl.requests.length - 1]!;

async function upstream(p: Promise<unknown>): Promise<UpstreamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

describe('gitlab api client', () => {
  it('creates a pipeline: encoded path, PRIVATE-TOKEN, JSON variables, 201 entity', async () => {
    const p = await api().createPipeline('group/demo', 'main', { OPSBOT_TASK_ID: '7', RELEASE: 'v1.1.0' });
    expect(p).toMatchObject({ id: 61, iid: 21, status: 'pending', ref: 'main', webUrl: 'https://example.com/foo/bar/pipelines/61' });
    expect(p.user).toEqual({ username: 'root', name: 'Administrator' });
    const r = last();
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/api/v4/projects/group%2Fdemo/pipeline');
    expect(r.token).toBe('glpat-test-token');
    expect(JSON.parse(r.body)).toEqual({
      ref: 'main',
      variables: [
        { key: 'OPSBOT_TASK_ID', value: '7' },
        { key: 'RELEASE', value: 'v1.1.0' },
      ],
    });
  });

  it('omits variables when there are none', async () => {
    await api().createPipeline('group/demo', 'v1.1.0', {});
    expect(JSON.parse(last().body)).toEqual({ ref: 'v1.1.0' });
  });

  it('accepts a base url that already ends in /api/v4', async () => {
    const p = await createGitlabApi({ url: gl.url + '/api/v4/', token: 't' }).getPipeline('group/demo', 287);
    expect(p).toMatchObject({ id: 287, status: 'success', sha: '50f0acb76a40e34a4ff304f7347dcc6587da8a14' });
    expect(last().url).toBe('/api/v4/projects/group%2Fdemo/pipelines/287');
  });

  it('lists pipelines with ref and per_page', async () => {
    const list = await api().listPipelines('group/demo', { ref: 'main', perPage: 5 });
    expect(list.map((p) => p.id)).toEqual([47, 48]);
    expect(list[0]).toMatchObject({ ref: 'new-pipeline', createdAt: '2016-08-11T11:28:34.085Z' });
    const q = new URL(last().url, 'http://x').searchParams;
    expect(q.get('ref')).toBe('main');
    expect(q.get('per_page')).toBe('5');
    expect(q.get('sort')).toBe('desc');
  });

  it('retries and cancels', async () => {
    const r = await api().retryPipeline('group/demo', 46);
    expect(r.status).toBe('pending');
    expect(last().url).toBe('/api/v4/projects/group%2Fdemo/pipelines/46/retry');
    const c = await api().cancelPipeline('group/demo', 46);
    expect(c.status).toBe('canceled');
    expect(last().method).toBe('POST');
  });

  it('lists jobs across pages with scope[]', async () => {
    const jobs = await api().listPipelineJobs('group/demo', 31, { scope: ['failed'] });
    expect(jobs.map((j) => j.name)).toEqual(['test-build', 'lint']);
    expect(jobs[0]).toMatchObject({ failureReason: 'script_failure', webUrl: 'https://gitlab.example.com/group/demo/-/jobs/378' });
    const q = new URL(last().url, 'http://x').searchParams;
    expect(q.getAll('scope[]')).toEqual(['failed']);
    expect(q.get('page')).toBe('2');
  });

  it.each([
    ['unauthorized', 401, '401 Unauthorized'],
    ['project_not_found', 404, '404 Project Not Found'],
    ['sudo_not_admin', 403, '403 Forbidden - Must be admin to use sudo'],
    ['create_pipeline_unknown_ref', 400, 'Reference not found'],
    ['validation_error', 400, 'bio: is too long (maximum is 255 characters)'],
    ['insufficient_scope', 403, 'insufficient_scope: The request requires higher privileges than provided by the access token.'],
  ])('maps %s to UpstreamError', async (name, status, message) => {
    const e = errors[name];
    gl.override(() => true, { status: e.status, body: JSON.stringify(e.body), headers: { 'content-type': 'application/json' } });
    const err = await upstream(api().createPipeline('group/demo', 'nope', {}));
    expect(err.service).toBe('gitlab');
    expect(err.status).toBe(status);
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('glpat-test-token');
  });

  it('429 carries Retry-After and the plain-text body', async () => {
    const e = errors.rate_limited;
    gl.override(() => true, { status: 429, body: e.body_text, headers: e.headers });
    const err = await upstream(api().listPipelines('group/demo'));
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(30);
    expect(err.message).toContain('Retry later');
  });

  it('times out and fails to connect with clear errors', async () => {
    // a server that accepts the connection and never answers
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const hang = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as { port: number }).port;
    const err = await upstream(createGitlabApi({ url: `http://127.0.0.1:${port}`, token: 't', fetchTimeoutMs: 100 }).getPipeline('g/d', 1));
    expect(err.status).toBe(504);
    expect(err.message).toContain('no answer within 100 ms');
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => hang.close(() => r()));
    const err2 = await upstream(createGitlabApi({ url: `http://127.0.0.1:${port}`, token: 't' }).getPipeline('g/d', 1));
    expect(err2.status).toBe(502);
    expect(err2.message).toContain('cannot reach GitLab');
  });

  it('describes every error body shape', () => {
    expect(describeGitlabError('{"message":{"base":["Missing .gitlab-ci.yml file"]}}')).toBe('Missing .gitlab-ci.yml file');
    expect(describeGitlabError('Retry later\n')).toBe('Retry later');
    expect(describeGitlabError('')).toBe('no body');
  });
});
