import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, loadConfig, resolveConfigPath } from '../../src/config/load.ts';
import { configErrorOf } from '../helpers/config-errors.ts';

const base = `
people: { alice: { name: Alice, roles: [deployer] } }
teams: { payments: { members: [alice], chats: ["console"] } }
products:
  demo:
    team: payments
    components: [component-a]
    environments:
      env-1: { engine: { type: command, run: ["./x.sh"] } }
`;

const problems = configErrorOf;

describe('config errors: file, YAML path, what is wrong, what to write', () => {
  const table: [string, string, RegExp[]][] = [
    ['typo in a top-level key', base + 'servr: { port: 1 }\n', [/bad\.yaml: \(top level\): unknown key "servr" \(did you mean "server"\?\)/]],
    ['typo in the engine type', base.replace('type: command', 'type: comand'), [/products\.demo\.environments\.env-1\.engine\.type: "comand" is not valid \(did you mean "command"\?\)/, /write one of: command, gitlab-pipeline/]],
    ['missing run', base.replace(', run: ["./x.sh"]', ''), [/products\.demo\.environments\.env-1\.engine\.run: missing \(expected array\)/]],
    ['bad locale', base + 'locale: fr\n', [/locale: "fr" is not valid\. write one of: zh-CN, en/]],
    ['unknown team', base.replace('team: payments', 'team: paymnts'), [/products\.demo\.team: team "paymnts" is not defined \(did you mean "payments"\?\)/]],
    ['unknown owner', base.replace('team: payments', 'team: payments\n    owners: [alise]'), [/products\.demo\.owners\.0: "alise" is not in people \(did you mean "alice"\?\)/]],
    ['release pins a non-component', base.replace('components: [component-a]', 'components: [component-a]\n    releases: { v1: { component-c: v1 } }'), [/products\.demo\.releases\.v1\.component-c/]],
    ['missing env variable', base + 'gitlab: { url: x, token: "${GL_TOKEN}" }\n', [/gitlab\.token: environment variable GL_TOKEN is not set\. export GL_TOKEN=/]],
    ['YAML syntax', 'a: [1, 2\n', [/line \d+, column \d+/]],
    ['typo in a nested key', base.replace('env-1: {', 'env-1: { protectd: true,'), [/env-1: unknown key "protectd" \(did you mean "protected"\?\)/]],
  ];
  for (const [name, text, expected] of table) {
    it(name, () => {
      const msg = problems(text);
      for (const re of expected) expect(msg).toMatch(re);
    });
  }

  it('substitutes ${ENV} and reports the values as secrets', () => {
    const { config, secrets } = loadConfig({ file: 'ok.yaml', text: base + 'gitlab: { url: http://x, token: "${GL}", webhookSecret: s3cret-value }\n', env: { GL: 'glpat-abcdef' } });
    expect((config.gitlab as { token: string }).token).toBe('glpat-abcdef');
    expect(secrets).toContain('glpat-abcdef');
    expect(secrets).toContain('s3cret-value');
  });

  it('PORT and OPSBOT_DATA_DIR override the file', () => {
    const { config } = loadConfig({ file: 'ok.yaml', text: base, env: { PORT: '4321', OPSBOT_DATA_DIR: '/tmp/x' } });
    expect(config.server.port).toBe(4321);
    expect(config.storage.dataDir).toBe('/tmp/x');
    expect(config.locale).toBe('zh-CN');
  });

  it('resolves OPSBOT_CONFIG, then ./opsbot.yaml, then the example', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    expect(resolveConfigPath({}, dir)).toBe(EXAMPLE_CONFIG);
    writeFileSync(path.join(dir, 'opsbot.yaml'), base);
    expect(resolveConfigPath({}, dir)).toBe(path.join(dir, 'opsbot.yaml'));
    expect(resolveConfigPath({ OPSBOT_CONFIG: 'other.yaml' }, dir)).toBe(path.join(dir, 'other.yaml'));
  });

  it('the bundled example config is valid', () => {
    const { config } = loadConfig({ file: EXAMPLE_CONFIG, env: {} });
    expect(Object.keys(config.products.demo!.environments)).toEqual(['env-1', 'prod']);
    expect(config.products.demo!.environments.prod!.protected).toBe(true);
  });

  it('npm start with a broken file exits non-zero naming the file and the YAML path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, base.replace('type: command', 'type: comand'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, OPSBOT_CONFIG: file }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('broken.yaml');
    expect(r.stderr).toContain('products.demo.environments.env-1.engine.type');
  });
});
