import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitlabApi } from '../../src/integrations/gitlab-api.ts';
import { createDeployService } from '../../src/deploy/service.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { FakeGitlab } from './fake-gitlab.ts';
import { harness, ManualEngine, msg, until, who, withGitlab } from './helpers.ts';

let gl: FakeGitlab;
beforeEach(async () => {
  gl = new FakeGitlab();
  await gl.start();
});
afterEach(() => gl.stop());

describe('recovery after a restart', () => {
  it('marks a running command task interrupted, tells the chat, and re-queues waiting tasks', async () => {
    const store = new MemoryStore();
    // First "process": one task running, one waiting behind it; then the process dies (no stop()).
    const first = harness(undefined, store);
    const engine1 = new ManualEngine();
    const d1 = createDeployService(first.services, { config: { progressThrottleMs: 0 }, engines: { command: engine1 } });
    const a = await d1.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: msg() });
    const b = await d1.enqueue({ product: 'demo', release: 'v1.1.0', env: 'env-1', requestedBy: who, message: msg() });
    await until(() => engine1.started.length === 1);

    const second = harness(undefined, store);
    const engine2 = new ManualEngine();
    const d2 = createDeployService(second.services, { config: { progressThrottleMs: 0 }, engines: { command: engine2 } });
    await d2.recover();
    const ta = (await d2.get(a.task.id))!;
    expect(ta.state).toBe('interrupted');
    expect(ta.reason).toBe('restart');
    const told = second.sent.find((s) => s.cardKey === `task:${a.task.id}`);
    expect(told?.to).toBe('test:room');
    expect(JSON.stringify(told?.reply)).toContain('restarted');
    // the waiting one starts now
    await until(() => engine2.started.length === 1);
    expect(engine2.started[0]!.ctx.task.id).toBe(b.task.id);
  });

  it('re-attaches a running GitLab task to its pipeline and follows it to the end', async () => {
    gl.nextScript = ['pending', 'running', 'running', 'running', 'running', 'success'];
    const store = new MemoryStore();
    const gitlab = createGitlabApi({ url: gl.url, token: 't' });
    const cfg = { pollIntervalMs: 20, maxPollIntervalMs: 20, progressThrottleMs: 0 };
    const h1 = harness(undefined, store);
    const d1 = createDeployService(h1.services, { config: cfg, services: withGitlab(gitlab) });
    const { task } = await d1.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
    await until(async () => (await d1.get(task.id))?.engineRef?.pipelineId !== undefined);
    await d1.stop(); // graceful: the GitLab run is detached, not cancelled
    expect((await d1.get(task.id))?.state).toBe('running');

    const h2 = harness(undefined, store);
    const d2 = createDeployService(h2.services, { config: cfg, services: withGitlab(gitlab) });
    await d2.recover();
    await until(async () => (await d2.get(task.id))?.state === 'succeeded');
    expect((await d2.logTail(task.id, 50)).join('\n')).toContain('re-attached');
    expect(gl.pipelines.size).toBe(1);
  });

  it('stop() interrupts running command tasks and refuses new ones', async () => {
    const h = harness();
    const engine = new ManualEngine();
    const d = createDeployService(h.services, { config: { progressThrottleMs: 0 }, engines: { command: engine } });
    const { task } = await d.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: msg() });
    await until(() => engine.started.length === 1);
    await d.stop();
    expect(engine.started[0]!.cancelled).toBe(true);
    expect((await d.get(task.id))?.state).toBe('interrupted');
    await expect(d.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: msg() })).rejects.toThrow(/shutting down/);
  });
});
