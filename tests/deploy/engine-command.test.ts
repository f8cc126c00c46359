import { mkdtempSync, existsSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandEngine } from '../../src/deploy/engines/command.ts';
import type { EngineContext } from '../../src/deploy/engines/types.ts';
import type { DeployTask } from '../../src/deploy/tasks.ts';
import { SCRIPT } from './helpers.ts';

function ctx(run: string[], over: Partial<DeployTask> = {}, env: Record<string, string> = { DEPLOY_SLEEP: '0' }) {
  const lines: string[] = [];
  const refs: unknown[] = [];
  const task: DeployTask = {
    id: '7',
    product: 'demo',
    release: 'v1.1.0',
    env: 'env-1',
    kind: 'deploy',
    state: 'running',
    components: { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' },
    requestedBy: { id: 'alice', name: 'Alice' },
    chat: 'test:room',
    engine: 'command',
    createdAt: 0,
    ...over,
  };
  const c: EngineContext = {
    task,
    product: { components: Object.keys(task.components), releases: {}, environments: {} },
    environment: { engine: { type: 'command', run, env } },
    hooks: { log: (l) => void lines.push(...l), setRef: async (r) => void refs.push(r) },
  };
  return { c, lines, refs };
}

const engine = createCommandEngine({ cancelGraceMs: 300 });

describe('command engine', () => {
  it('runs the demo script with OPSBOT_* variables and succeeds', async () => {
    const { c, lines, refs } = ctx([SCRIPT]);
    const r = await engine.start(c).done;
    expect(r.outcome).toBe('succeeded');
    const text = lines.join('\n');
    expect(text).toContain('login registry registry.example.com');
    expect(text).toContain('pull image registry.example.com/demo/component-a:v1.1.0');
    expect(text).toContain('stop container component-b');
    expect(text).toContain('run container component-a');
    expect(text).toContain('deploy task 7: demo v1.1.0 -> env-1');
    // every line carries an ISO timestamp
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(l))).toBe(true);
    expect(refs[0]).toMatchObject({ pid: expect.any(Number) });
  });

  it('fails on a non-zero exit and keeps stderr lines', async () => {
    const { c, lines } = ctx([SCRIPT], {}, { DEPLOY_SLEEP: '0', DEPLOY_FAIL: '1' });
    const r = await engine.start(c).done;
    expect(r).toEqual({ outcome: 'failed', reason: 'exit code 1' });
    expect(lines.some((l) => l.includes('ERR error: container component-a failed to start'))).toBe(true);
  });

  it('reports a missing executable as a failure', async () => {
    const { c } = ctx(['/nonexistent/deploy.sh']);
    expect((await engine.start(c).done).outcome).toBe('failed');
  });

  it('cancels with SIGTERM, then SIGKILL when the script ignores SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-'));
    const stubborn = join(dir, 'stubborn.sh');
    writeFileSync(stubborn, '#!/bin/sh\ntrap "echo got TERM" TERM\necho started\nwhile true; do sleep 0.05; done\n');
    chmodSync(stubborn, 0o755);
    const { c, lines } = ctx([stubborn]);
    const run = engine.start(c);
    while (!lines.some((l) => l.includes('started'))) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    run.cancel();
    const r = await run.done;
    expect(r.outcome).toBe('cancelled');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // waited for the grace period
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('passes a hostile release name as data, never to a shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-'));
    const marker = join(dir, 'pwned');
    const { c, lines } = ctx(['/bin/echo', 'release'], { release: `v1;touch ${marker}`, components: { 'component-a': `$(touch ${marker})` } });
    const r = await engine.start(c).done;
    expect(r.outcome).toBe('succeeded');
    const { c: c2, lines: l2 } = ctx([SCRIPT], { release: `v1;touch ${marker}`, components: { 'component-a': `\`touch ${marker}\`` } });
    expect((await engine.start(c2).done).outcome).toBe('succeeded');
    expect(existsSync(marker)).toBe(false);
    expect(lines.join('\n')).toContain('release');
    expect(l2.join('\n')).toContain(`demo v1;touch ${marker} -> env-1`);
  });

  it('streams huge output line by line with long lines cut', async () => {
    const big = createCommandEngine({ cancelGraceMs: 100, maxLineLength: 100 });
    const { c, lines } = ctx(['/bin/sh', '-c', 'i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; head -c 5000 /dev/zero | tr "\\0" x; echo']);
    expect((await big.start(c).done).outcome).toBe('succeeded');
    expect(lines.filter((l) => / line \d+$/.test(l))).toHaveLength(5000);
    expect(lines.at(-1)!.length).toBeLessThan(200);
  });
});

describe('command engine through the deploy service', () => {
  it('times out a real script, kills it and records the partial log', async () => {
    const { harness, demoProducts, msg, until, who } = await import('./helpers.ts');
    const { createDeployService } = await import('../../src/deploy/service.ts');
    const products = demoProducts([SCRIPT], { DEPLOY_SLEEP: '0.3' });
    products.demo!.environments['env-1']!.timeoutSeconds = 0.4;
    const h = harness(products);
    const d = createDeployService(h.services, { config: { progressThrottleMs: 0, cancelGraceMs: 200 } });
    const { task } = await d.enqueue({ product: 'demo', release: 'v1.1.0', env: 'env-1', requestedBy: who, message: msg() });
    await until(async () => (await d.get(task.id))?.state === 'failed', 5000);
    const done = (await d.get(task.id))!;
    expect(done.reason).toBe('timeout');
    const log = (await h.store.readLog(task.id)).join('\n');
    expect(log).toContain('login registry');
    expect(log).not.toContain('deploy finished');
    expect(log).toContain('timeout after');
  });
});
