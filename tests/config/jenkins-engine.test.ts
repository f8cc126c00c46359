import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { configErrorOf } from '../helpers/config-errors.ts';

const TOKEN = 'jenkins-secret-token-42';
const yaml = (engine: string) => `
people: { alice: { name: Alice, roles: [deployer] } }
teams: { payments: { members: [alice], chats: ["console"] } }
products:
  demo:
    team: payments
    components: [component-a]
    environments:
      ci: { engine: ${engine} }
`;
const good = '{ type: jenkins, url: "http://jenkins.local", job: team/deploy-demo, user: bot, token: "${JENKINS_TOKEN}", parameters: { TAG: "{version:component-a}", WHERE: "{product}-{env}" }, successResults: [SUCCESS, UNSTABLE] }';

function problems(engine: string): string {
  const m = configErrorOf(yaml(engine), { JENKINS_TOKEN: TOKEN });
  expect(m).not.toContain(TOKEN);
  return m;
}

describe('engine: { type: jenkins } in the config', () => {
  it('validates, and the token counts as a secret', () => {
    const { config, secrets } = loadConfig({ file: 'ok.yaml', text: yaml(good), env: { JENKINS_TOKEN: TOKEN } });
    expect(config.products.demo!.environments.ci!.engine).toMatchObject({ type: 'jenkins', job: 'team/deploy-demo', token: TOKEN, successResults: ['SUCCESS', 'UNSTABLE'] });
    expect(secrets).toContain(TOKEN);
  });

  it('a wrong key names engine.<key> and the jenkins engine’s own keys', () => {
    const m = problems(good.replace('token:', 'tokn:'));
    expect(m).toContain('products.demo.environments.ci.engine: unknown key "tokn" (did you mean "token"?). valid keys here: type, url, job, user, token, parameters, successResults');
    expect(m).toContain('products.demo.environments.ci.engine.token: missing (expected string)');
  });

  it('names bad values by their key', () => {
    expect(problems(good.replace('"http://jenkins.local"', 'jenkins.local'))).toMatch(/engine\.url: .*must be an http\(s\) URL/);
    expect(problems(good.replace('job: team/deploy-demo', 'job: "team//deploy-demo"'))).toMatch(/engine\.job: .*folders separated by single slashes/);
    expect(problems(good.replace('[SUCCESS, UNSTABLE]', '[FAILURE]'))).toMatch(/engine\.successResults\.0: "FAILURE" is not valid\. write one of: SUCCESS, UNSTABLE/);
  });

  it('checks parameter templates against the product', () => {
    const m = problems(good.replace('{version:component-a}', '{version:component-x}').replace('{product}-{env}', '{prodct}'));
    expect(m).toMatch(/engine\.parameters\.TAG: \{version:component-x\}: "component-x" is not a component of the product \(components: component-a\)/);
    expect(m).toMatch(/engine\.parameters\.WHERE: \{prodct\} is not a placeholder/);
  });

  it('the other engines list their own keys too', () => {
    expect(problems('{ type: gitlab-pipeline, ref: main, refs: x }')).toContain('valid keys here: type, project, ref, variables');
  });
});
