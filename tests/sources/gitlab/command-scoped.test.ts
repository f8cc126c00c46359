// /gitlab retry|cancel honour `deployer:<product>` (permissions.ts canOn): rights on that product only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import gitlabCommand from '../../../commands/gitlab.ts';
import type { PersonRef } from '../../../src/core/define-command.ts';
import { runCommand } from '../../helpers/command-context.ts';
import { UserFacingError } from '../../../src/core/errors.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import { createGitlabApi } from '../../../src/integrations/gitlab-api.ts';
import { startFakeGitlab, type FakeGitlab } from './fake-gitlab.ts';
import { harness, testConfig } from './harness.ts';

let gl: FakeGitlab;
beforeAll(async () => {
  gl = await startFakeGitlab();
});
afterAll(async () => {
  await gl.close();
});

const message: IncomingMessage = { id: 'm1', platform: 'test', chat: 'test:c', chatType: 'group', sender: { platform: 'test', id: 'u1' }, text: '', receivedAt: 0 };

async function retry(person: PersonRef) {
  const h = harness({ config: testConfig({ gitlabProject: 'group/demo' }), api: createGitlabApi({ url: gl.url, token: 'glpat-cmd' }) });
  const args = gitlabCommand.args.parse({ action: 'retry', product: 'demo', target: '46' });
  return runCommand(gitlabCommand, { args, message, person, locale: 'en', config: h.services.config, services: h.lookup });
}

describe('/gitlab retry with a scoped deployer role', () => {
  it('deployer:demo may retry a demo pipeline; deployer:billing may not, and nothing reaches GitLab', async () => {
    const before = gl.requests.length;
    const err = await retry({ id: 'x', name: 'X', roles: ['deployer:billing'] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect(gl.requests.length).toBe(before);
    const ok = await retry({ id: 'a', name: 'A', roles: ['deployer:demo'] });
    expect(ok?.kind === 'text' ? ok.text : '').toContain('Retried pipeline #46');
  });
});
