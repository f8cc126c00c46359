// Item 3 of the hardening issue: deploy scripts must not inherit the bot's secrets, and whatever a
// script prints that is a configured secret must not reach the task log.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/core/redact.ts';
import { childEnvironment, createCommandEngine } from '../../src/deploy/engines/command.ts';
import type { EngineContext } from '../../src/deploy/engines/types.ts';
import type { DeployTask } from '../../src/deploy/tasks.ts';
import { demoProducts, harness, msg, until, who } from './helpers.ts';

const SECRET = 'sntrys_the_bots_own_token_123';

function printEnvScript(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsbot-env-'));
  const file = join(dir, 'print-env.sh');
  writeFileSync(file, '#!/bin/sh\nenv | sort\n');
  chmodSync(file, 0o755);
  return file;
}

const task: DeployTask = {
  id: '9', product: 'demo', release: 'v1.1.0', env: 'env-1', kind: 'deploy', state: 'running',
  components: { 'component-a': 'v1.1.0' }, requestedBy: { id: 'alice', name: 'Alice' }, chat: 'test:room', engine: 'command', createdAt: 0,
};

describe('command engine environment', () => {
  it('gives the child only PATH/HOME/LANG/LC_ALL/TZ, engine.env and the OPSBOT_* variables', async () => {
    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/opsbot', LANG: 'C.UTF-8', TZ: 'UTC', SENTRY_AUTH_TOKEN: SECRET, GITLAB_TOKEN: 'glpat-x', OPSBOT_CONFIG: '/etc/opsbot.yaml' };
    const engine = createCommandEngine({ cancelGraceMs: 100, baseEnv });
    const lines: string[] = [];
    const c: EngineContext = {
      task,
      product: { components: ['component-a'], releases: {}, environments: {} },
      environment: { engine: { type: 'command', run: [printEnvScript()], env: { DEPLOY_REGISTRY: 'reg.example' } } },
      hooks: { log: (l) => void lines.push(...l), setRef: async () => {} },
    };
    expect((await engine.start(c).done).outcome).toBe('succeeded');
    const names = lines.map((l) => l.split(' ').slice(1).join(' ').split('=')[0]!).filter((n) => /^[A-Z_][A-Z0-9_]*$/.test(n));
    const allowed = new Set(['PATH', 'HOME', 'LANG', 'TZ', 'DEPLOY_REGISTRY', 'OPSBOT_PRODUCT', 'OPSBOT_RELEASE', 'OPSBOT_ENV', 'OPSBOT_TASK_ID', 'OPSBOT_VERSION_COMPONENT_A', 'PWD', 'SHLVL', '_']);
    // sh itself adds PWD/SHLVL/_; nothing else may appear.
    expect(names.filter((n) => !allowed.has(n))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['PATH', 'HOME', 'LANG', 'TZ', 'DEPLOY_REGISTRY', 'OPSBOT_TASK_ID', 'OPSBOT_VERSION_COMPONENT_A']));
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('childEnvironment: deploy variables win over engine.env, unset pass-through names are absent', () => {
    const env = childEnvironment({ PATH: '/bin', SECRET_X: 'x' }, { OPSBOT_ENV: 'spoofed', A: '1' }, { OPSBOT_ENV: 'env-1' });
    expect(env).toEqual({ PATH: '/bin', A: '1', OPSBOT_ENV: 'env-1' });
  });
});

describe('task log redaction', () => {
  it('a script that prints a configured secret (given via engine.env) leaves [REDACTED] in the task log', async () => {
    const products = demoProducts([printEnvScript()], { DEPLOY_TOKEN: SECRET });
    const h = harness(products);
    const d = (await import('../../src/deploy/service.ts')).createDeployService(
      { ...h.services, redactor: new Redactor([SECRET]) },
      { config: { progressThrottleMs: 0 } },
    );
    const { task: t } = await d.enqueue({ product: 'demo', release: 'v1.1.0', env: 'env-1', requestedBy: who, message: msg() });
    await until(async () => (await d.get(t.id))?.state === 'succeeded', 5000);
    await d.stop();
    const log = (await h.store.readLog(t.id)).join('\n');
    expect(log).toContain('DEPLOY_TOKEN=[REDACTED]');
    expect(log).not.toContain(SECRET);
    expect(JSON.stringify(h.sent)).not.toContain(SECRET);
  });
});
