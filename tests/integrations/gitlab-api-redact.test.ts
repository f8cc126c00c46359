// Item 2 of the hardening issue: a GitLab error body that echoes `private-token: …` must not reach the
// error message, which commands/gitlab.ts and the pipeline engine show in chat and task logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitlabApi } from '../../src/integrations/gitlab-api.ts';
import { startFakeGitlab, type FakeGitlab } from '../sources/gitlab/fake-gitlab.ts';

const TOKEN = 'glpat-echoed-0123456789';
let gl: FakeGitlab;
beforeAll(async () => {
  gl = await startFakeGitlab();
});
afterAll(async () => {
  await gl.close();
});

describe('GitLab errors carry no secret', () => {
  it.each([
    ['JSON message', JSON.stringify({ message: `401 Unauthorized (PRIVATE-TOKEN: ${TOKEN})` })],
    ['plain text echo', `<pre>GET /api/v4/projects/1\nprivate-token: ${TOKEN}\nauthorization: Bearer ${TOKEN}</pre>`],
    ['token anywhere', JSON.stringify({ error: 'invalid_token', error_description: `token ${TOKEN} revoked` })],
  ])('%s', async (_name, body) => {
    gl.override(() => true, { status: 401, body });
    const api = createGitlabApi({ url: gl.url, token: TOKEN });
    const err = (await api.getPipeline('group/demo', 1).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('HTTP 401');
    expect(err.message).not.toContain(TOKEN);
  });

  it('a huge error body is cut', async () => {
    gl.override(() => true, { status: 500, body: JSON.stringify({ message: 'y'.repeat(10_000) }) });
    const err = (await createGitlabApi({ url: gl.url, token: TOKEN }).getPipeline('g/d', 1).catch((e: unknown) => e)) as Error;
    expect(err.message.length).toBeLessThan(400);
  });
});
