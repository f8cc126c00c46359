import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { configErrorOf } from '../helpers/config-errors.ts';

const TRIGGER = 'glptt-trigger-secret-42';
const yaml = (engine: string) => `
people: { alice: { name: Alice, roles: [deployer] } }
teams: { payments: { members: [alice], chats: ["console"] } }
products:
  demo:
    team: payments
    gitlabProject: "42"
    components: [component-a]
    environments:
      prod: { engine: ${engine} }
`;
const good = '{ type: gitlab-pipeline, ref: main, sendVariables: false, inputs: { release: "{release}", tag: "{version:component-a}" }, triggerToken: "${GITLAB_TRIGGER_TOKEN}" }';

describe('engine: { type: gitlab-pipeline } with inputs and a trigger token', () => {
  it('validates; a numeric project id is a project; the trigger token counts as a secret', () => {
    const { config, secrets } = loadConfig({ file: 'ok.yaml', text: yaml(good), env: { GITLAB_TRIGGER_TOKEN: TRIGGER } });
    expect(config.products.demo!.environments.prod!.engine).toMatchObject({ type: 'gitlab-pipeline', sendVariables: false, triggerToken: TRIGGER, inputs: { tag: '{version:component-a}' } });
    expect(secrets).toContain(TRIGGER);
  });

  it('names its own keys and checks the input templates against the product', () => {
    const env = { GITLAB_TRIGGER_TOKEN: TRIGGER };
    expect(configErrorOf(yaml(good.replace('inputs:', 'input:')), env)).toContain('valid keys here: type, project, ref, variables, inputs, sendVariables, triggerToken');
    const m = configErrorOf(yaml(good.replace('{version:component-a}', '{version:component-x}')), env);
    expect(m).toMatch(/engine\.inputs\.tag: \{version:component-x\}: "component-x" is not a component of the product/);
    expect(m).not.toContain(TRIGGER);
    expect(configErrorOf(yaml(good.replace('sendVariables: false,', 'sendVariables: false, variables: { A: b },')), env)).toMatch(/engine\.variables: not sent: sendVariables is false/);
  });
});
