// /gitlab retry is held by a deploy freeze on the environments its pipeline's ref deploys (src/freeze/gate.ts):
// the fake answers GET /pipelines/:id with the get-pipeline fixture (ref main), and demo's prod deploys
// main through the gitlab-pipeline engine (harness.ts testConfig).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import gitlabCommand from '../../../commands/gitlab.ts';
import type { PersonRef } from '../../../src/core/define-command.ts';
import { UserFacingError } from '../../../src/core/errors.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import { createGitlabApi } from '../../../src/integrations/gitlab-api.ts';
import { runCommand } from '../../helpers/command-context.ts';
import { startFakeGitlab, type FakeGitlab } from './fake-gitlab.ts';
import { harness, testConfig, type Harness } from './harness.ts';

let gl: FakeGitlab;
beforeAll(async () => {
  gl = await startFakeGitlab();
});
afterAll(async () => {
  await gl.close();
});

const alice: PersonRef = { id: 'alice', name: 'Alice', roles: ['deployer'] };
const root: PersonRef = { id: 'root', name: 'Root', roles: ['admin'] };
const message: IncomingMessage = { id: 'm1', platform: 'test', chat: 'test:c', chatType: 'group', sender: { platform: 'test', id: 'u1' }, text: '/gitlab retry demo 46', receivedAt: 0 };
const hour = 3_600_000;

function setup(): Harness {
  return harness({ config: testConfig({ gitlabProject: 'group/demo' }), api: createGitlabApi({ url: gl.url, token: 'glpat-cmd' }) });
}
async function retry(h: Harness, person: PersonRef, overrideFreeze?: boolean) {
  const args = gitlabCommand.args.parse({ action: 'retry', product: 'demo', target: '46', ...(overrideFreeze ? { overrideFreeze } : {}) });
  const r = await runCommand(gitlabCommand, { args, message, person, locale: 'en', config: h.services.config, clock: h.services.clock, services: h.lookup });
  return r?.kind === 'text' ? r.text : '';
}
const retries = () => gl.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/46/retry')).length;
async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserFacingError);
  return (e as UserFacingError).userMessage!;
}

describe('/gitlab retry under a deploy freeze', () => {
  it('a freeze on the environment the pipeline deploys refuses the retry; nothing is retried', async () => {
    const h = setup();
    await h.freezes.freeze({ product: 'demo', env: 'prod', durationMs: 2 * hour, reason: 'release night', by: { id: 'alice', name: 'Alice' }, allowRollback: true });
    const before = retries();
    const msg = await refusal(retry(h, alice));
    expect(msg).toContain('Refused deploy');
    expect(msg).toContain('release night');
    expect(msg).toContain('--override-freeze');
    expect(retries()).toBe(before);
  });

  it('a freeze on another environment does not hold a pipeline that deploys none of it', async () => {
    const h = setup();
    await h.freezes.freeze({ product: 'demo', env: 'env-1', durationMs: 2 * hour, reason: 'demo day', by: { id: 'alice', name: 'Alice' }, allowRollback: true });
    expect(await retry(h, alice)).toContain('Retried pipeline #46');
  });

  it('a product-wide freeze holds it; a deployer cannot override, an admin can and it is audited', async () => {
    const h = setup();
    await h.freezes.freeze({ product: 'demo', durationMs: 2 * hour, reason: 'audit week', by: { id: 'alice', name: 'Alice' }, allowRollback: true });
    expect(await refusal(retry(h, alice, true))).toContain('audit week');
    const before = retries();
    expect(await retry(h, root, true)).toContain('Retried pipeline #46');
    expect(retries()).toBe(before + 1);
    expect(JSON.stringify(await h.store.listAudit())).toContain('/gitlab retry demo 46');
  });
});
