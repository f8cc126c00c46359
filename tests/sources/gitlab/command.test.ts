import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import gitlabCommand from '../../../commands/gitlab.ts';
import { cardToText } from '../../../cards/model.ts';
import type { PersonRef } from '../../../src/core/define-command.ts';
import { lookupOf } from '../../../src/core/feature.ts';
import { runCommand } from '../../helpers/command-context.ts';
import { UserFacingError } from '../../../src/core/errors.ts';
import type { IncomingMessage, Reply } from '../../../src/core/message.ts';
import { createGitlabApi } from '../../../src/integrations/gitlab-api.ts';
import { fixtureJson, startFakeGitlab, type FakeGitlab } from './fake-gitlab.ts';
import { gitlabConfig, harness, testConfig } from './harness.ts';

let gl: FakeGitlab;
beforeAll(async () => {
  gl = await startFakeGitlab();
});
afterAll(async () => {
  await gl.close();
});

const alice: PersonRef = { id: 'alice', name: 'Alice', roles: ['deployer'] };
const bob: PersonRef = { id: 'bob', name: 'Bob', roles: [] };
const message: IncomingMessage = { id: 'm1', platform: 'test', chat: 'test:c', chatType: 'group', sender: { platform: 'test', id: 'u1' }, text: '', receivedAt: 0 };

async function run(words: string[], person: PersonRef | null = alice, locale: 'en' | 'zh-CN' = 'en'): Promise<Reply> {
  const h = harness({ config: testConfig({ gitlabProject: 'group/demo' }), api: createGitlabApi({ url: gl.url, token: 'glpat-cmd' }) });
  h.services.clock = () => Date.parse('2016-08-11T11:58:34Z');
  const [action, product, target] = words;
  const args = gitlabCommand.args.parse({ action, product, ...(target ? { target } : {}) });
  const r = await runCommand(gitlabCommand, { args, message, person: person ?? undefined, locale, config: h.services.config, clock: h.services.clock, services: h.lookup });
  if (!r) throw new Error('no reply');
  return r;
}
const asText = (r: Reply) => (r.kind === 'text' ? r.text : cardToText(r.card));
async function userError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserFacingError);
  return (e as UserFacingError).userMessage!;
}

describe('/gitlab', () => {
  it('pipelines: last N with status, ref, age and link; per_page from config', async () => {
    const r = await run(['pipelines', 'demo', 'new-pipeline']);
    const txt = asText(r);
    expect(txt).toContain('Latest pipelines of demo (new-pipeline)');
    expect(txt).toContain('[#47](https://example.com/foo/bar/pipelines/47) `new-pipeline` pending · - · 30 min ago');
    const q = new URL(gl.requests.at(-1)!.url, 'http://x');
    expect(q.pathname).toBe('/api/v4/projects/group%2Fdemo/pipelines');
    expect(q.searchParams.get('per_page')).toBe(String(gitlabConfig.pipelinesListSize));
    expect(q.searchParams.get('ref')).toBe('new-pipeline');
    expect(gl.requests.at(-1)!.token).toBe('glpat-cmd');
  });

  it('pipelines is open to anyone', async () => {
    expect(asText(await run(['pipelines', 'demo'], null))).toContain('#48');
  });

  it('retry and cancel need deployer (admin passes); nothing reaches GitLab otherwise', async () => {
    const before = gl.requests.length;
    expect(await userError(run(['retry', 'demo', '46'], bob))).toBe('Retrying and canceling pipelines needs the deployer role');
    expect(await userError(run(['cancel', 'demo', '46'], null))).toContain('deployer');
    expect(gl.requests.length).toBe(before);
    expect(asText(await run(['retry', 'demo', '46'], { id: 'root', name: 'Root', roles: ['admin'] }))).toContain('Retried pipeline #46');
  });

  it('retry and cancel call the API and say what GitLab answered', async () => {
    expect(asText(await run(['retry', 'demo', '46']))).toBe('Retried pipeline #46 (pending): https://example.com/foo/bar/pipelines/46');
    expect(gl.requests.at(-1)).toMatchObject({ method: 'POST', url: '/api/v4/projects/group%2Fdemo/pipelines/46/retry' });
    expect(asText(await run(['cancel', 'demo', '46']))).toBe('Canceled pipeline #46 (canceled): https://example.com/foo/bar/pipelines/46');
    // cancel is 200 whatever the state: a finished pipeline is reported as not canceled
    gl.override((r) => r.url.endsWith('/cancel'), { status: 200, body: JSON.stringify({ ...fixtureJson('api-cancel-pipeline.response.json'), status: 'success' }) });
    expect(asText(await run(['cancel', 'demo', '46']))).toContain('is success; it was not canceled');
  });

  it('bad ids, unknown products and products without a project are user errors', async () => {
    expect(await userError(run(['retry', 'demo', 'abc']))).toContain('/gitlab retry <product> <pipeline-id>');
    expect(await userError(run(['retry', 'demo']))).toContain('Give the pipeline id');
    expect(await userError(run(['pipelines', 'nope']))).toBe('Unknown product nope; known: demo, other');
  });

  it.each([
    ['unauthorized', 'GitLab refused opsbot\'s token (401): check gitlab.token'],
    ['project_not_found', 'GitLab has no group/demo #46 (404), or the token cannot see it'],
    ['sudo_not_admin', 'GitLab does not allow this (403): 403 Forbidden - Must be admin to use sudo'],
    ['create_pipeline_unknown_ref', 'GitLab refused the request (400): Reference not found'],
  ])('API error %s reaches the user clearly', async (name, msg) => {
    const e = fixtureJson('api-errors.json')[name];
    gl.override(() => true, { status: e.status, body: JSON.stringify(e.body), headers: { 'content-type': 'application/json' } });
    expect(await userError(run(['retry', 'demo', '46']))).toBe(msg);
  });

  it('429 says when to try again (zh-CN)', async () => {
    const e = fixtureJson('api-errors.json').rate_limited;
    gl.override(() => true, { status: 429, body: e.body_text, headers: e.headers });
    expect(await userError(run(['pipelines', 'demo'], alice, 'zh-CN'))).toBe('GitLab 限流中（429），请 30 秒后再试');
  });

  it('not configured', async () => {
    const h = harness();
    const args = gitlabCommand.args.parse({ action: 'pipelines', product: 'demo' });
    // No GitLab feature: nothing provides the service the command uses.
    const run = runCommand(gitlabCommand, { args, message, locale: 'en', config: h.services.config, services: lookupOf() });
    expect(await userError(run)).toContain('GitLab is not configured');
  });
});
