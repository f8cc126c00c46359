import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitlabApi } from '../../src/integrations/gitlab-api.ts';
import { createDeployService } from '../../src/deploy/service.ts';
import { mapPipelineStatus } from '../../src/deploy/engines/gitlab-pipeline.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { FakeGitlab } from './fake-gitlab.ts';
import { harness, msg, until, who, withGitlab } from './helpers.ts';

let gl: FakeGitlab;
beforeEach(async () => {
  gl = new FakeGitlab();
  await gl.start();
});
afterEach(() => gl.stop());

const cfg = { pollIntervalMs: 10, maxPollIntervalMs: 40, progressThrottleMs: 0 };

function service(store = new MemoryStore(), pollIntervalMs = cfg.pollIntervalMs) {
  const h = harness(undefined, store);
  const gitlab = createGitlabApi({ url: gl.url, token: 'glpat-test' });
  const deploys = createDeployService(h.services, { config: { ...cfg, pollIntervalMs }, services: withGitlab(gitlab) });
  return { ...h, deploys };
}

describe('gitlab-pipeline engine', () => {
  it('maps GitLab statuses', () => {
    expect(mapPipelineStatus('success')?.outcome).toBe('succeeded');
    expect(mapPipelineStatus('canceled')?.outcome).toBe('cancelled');
    expect(mapPipelineStatus('skipped')?.outcome).toBe('failed');
    expect(mapPipelineStatus('running')).toBeUndefined();
    expect(mapPipelineStatus('manual')).toBeUndefined();
  });

  it('creates a pipeline with OPSBOT_* variables and follows it pending → running → success', async () => {
    const { deploys, sent } = service();
    const { task } = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
    await until(async () => (await deploys.get(task.id))?.state === 'succeeded');
    const p = [...gl.pipelines.values()][0]!;
    expect(p.project).toBe('group/demo');
    expect(p.ref).toBe('main');
    expect(p.variables).toEqual(
      expect.arrayContaining([
        { key: 'OPSBOT_RELEASE', value: 'v1.1.0' },
        { key: 'OPSBOT_ENV', value: 'prod' },
        { key: 'OPSBOT_TASK_ID', value: task.id },
        { key: 'OPSBOT_VERSION_COMPONENT_A', value: 'v1.1.0' },
      ]),
    );
    const done = (await deploys.get(task.id))!;
    expect(done.engineRef).toMatchObject({ pipelineId: p.id, project: 'group/demo', webUrl: expect.stringContaining(`/pipelines/${p.id}`) });
    const log = (await deploys.logTail(task.id, 20)).join('\n');
    expect(log).toContain('pending');
    expect(log).toContain('running');
    expect(log).toContain('success');
    await deploys.idle();
    const last = sent.at(-1)!;
    expect(last.cardKey).toBe(`task:${task.id}`);
    expect(JSON.stringify(last.reply)).toContain(`/pipelines/${p.id}`);
    expect(gl.requests.every((r) => r.token === 'glpat-test')).toBe(true);
  });

  it('marks a failed pipeline failed', async () => {
    gl.nextScript = ['pending', 'running', 'failed'];
    const { deploys } = service();
    const { task } = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
    await until(async () => (await deploys.get(task.id))?.state === 'failed');
    expect((await deploys.get(task.id))?.reason).toBe('pipeline failed');
  });

  it('cancels the pipeline on /cancel', async () => {
    gl.nextScript = ['pending', ...Array(500).fill('running')];
    const { deploys } = service();
    const { task } = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
    await until(async () => (await deploys.get(task.id))?.engineRef?.pipelineId !== undefined);
    await deploys.cancel(task.id, 'Alice');
    await until(async () => (await deploys.get(task.id))?.state === 'cancelled');
    expect(gl.requests.some((r) => r.method === 'POST' && r.url.endsWith('/cancel'))).toBe(true);
    expect([...gl.pipelines.values()][0]!.status).toBe('canceled');
  });

  it('reacts at once to deploy.pipeline.updated events', async () => {
    gl.nextScript = Array(500).fill('running');
    const { deploys, events } = service(new MemoryStore(), 60_000); // polling alone would take a minute
    const { task } = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
    await until(async () => (await deploys.get(task.id))?.engineRef?.pipelineId !== undefined);
    const id = (await deploys.get(task.id))!.engineRef!.pipelineId!;
    await events.emit({ type: 'deploy.pipeline.updated', payload: { project: 'group/other', pipelineId: id, status: 'success' }, occurredAt: Date.now() });
    expect((await deploys.get(task.id))?.state).toBe('running');
    await events.emit({ type: 'deploy.pipeline.updated', payload: { project: 'group/demo', pipelineId: id, status: 'success' }, occurredAt: Date.now() });
    await until(async () => (await deploys.get(task.id))?.state === 'succeeded', 2000);
  });

  it('fails clearly when GitLab is not configured', async () => {
    const h = harness();
    const deploys = createDeployService(h.services, { config: cfg });
    const { task } = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
    await until(async () => (await deploys.get(task.id))?.state === 'failed');
    expect((await deploys.get(task.id))?.reason).toBe('gitlab not configured');
  });
});

describe('gitlab-pipeline engine and deployment events', () => {
  it('treats a deployment event as a prompt to poll, not as the pipeline status', async () => {
    gl.nextScript = ['running', 'running', 'running', 'failed'];
    const { deploys, events } = service(new MemoryStore(), 60_000);
    const { task } = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
    await until(async () => (await deploys.get(task.id))?.engineRef?.pipelineId !== undefined);
    const id = (await deploys.get(task.id))!.engineRef!.pipelineId!;
    await until(() => gl.requests.filter((r) => r.method === 'GET').length >= 1);
    const emit = () =>
      events.emit({ type: 'deploy.pipeline.updated', payload: { project: 'group/demo', pipelineId: id, status: 'success', via: 'deployment' }, occurredAt: Date.now() });
    for (let i = 0; i < 3; i++) {
      const gets = gl.requests.filter((r) => r.method === 'GET').length;
      await emit();
      await until(() => gl.requests.filter((r) => r.method === 'GET').length > gets);
    }
    await until(async () => (await deploys.get(task.id))?.state === 'failed');
    expect((await deploys.get(task.id))?.reason).toBe('pipeline failed');
  });
});
