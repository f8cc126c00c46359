/** The gitlab-pipeline engine as GitLab.com behaves (issue 19 §3; gitlab.md §3.2, §3.3, §3.6). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProductsConfig } from '../../src/deploy/config.ts';
import { createDeployService } from '../../src/deploy/service.ts';
import { createGitlabApi } from '../../src/integrations/gitlab-api.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { FakeGitlab } from './fake-gitlab.ts';
import { demoProducts, harness, msg, until, who, withGitlab } from './helpers.ts';

let gl: FakeGitlab;
beforeEach(async () => {
  gl = new FakeGitlab();
  await gl.start();
});
afterEach(() => gl.stop());

const API_TOKEN = 'glpat-test-0123456789';

function products(engine: Record<string, unknown>, gitlabProject = 'group/demo'): ProductsConfig {
  const p = demoProducts();
  p.demo!.gitlabProject = gitlabProject;
  p.demo!.environments.prod!.engine = { type: 'gitlab-pipeline', ref: 'main', ...engine } as never;
  return p;
}

function service(engine: Record<string, unknown> = {}, o: { gitlabProject?: string; pollIntervalMs?: number } = {}) {
  const h = harness(products(engine, o.gitlabProject), new MemoryStore());
  const gitlab = createGitlabApi({ url: gl.url, token: API_TOKEN });
  const config = { pollIntervalMs: o.pollIntervalMs ?? 10, maxPollIntervalMs: o.pollIntervalMs ?? 40, progressThrottleMs: 0 };
  const deploys = createDeployService(h.services, { config, services: withGitlab(gitlab) });
  return { ...h, deploys };
}
type Deploys = ReturnType<typeof service>['deploys'];
const deploy = (deploys: Deploys) => deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: who, message: msg() });
const stateOf = async (deploys: Deploys, id: string) => (await deploys.get(id))?.state;
const logOf = async (deploys: Deploys, id: string) => (await deploys.logTail(id, 100)).join('\n');
const created = async (deploys: Deploys, id: string) => {
  await until(async () => (await deploys.get(id))?.engineRef?.pipelineId !== undefined);
  return gl.pipelines.get((await deploys.get(id))!.engineRef!.pipelineId!)!;
};

describe('pipeline variables forbidden (GitLab.com default)', () => {
  it('turns the 400 into the project setting to change or the inputs to use', async () => {
    gl.forbidVariables = true;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    const reason = (await deploys.get(task.id))!.reason!;
    expect(reason).toContain('GitLab refused the pipeline variables ("Insufficient permissions to set pipeline variables")');
    expect(reason).toContain('ci_pipeline_variables_minimum_override_role');
    expect(reason).toContain('set engine.sendVariables: false and pass the values as engine.inputs');
    expect(gl.pipelines.size).toBe(0);
  });

  it('sendVariables: false and inputs: no variables at all, the inputs rendered from the release', async () => {
    gl.forbidVariables = true;
    const { deploys } = service({ sendVariables: false, inputs: { release: '{release}', image_tag: '{version:component-a}', target: '{product}-{env}' } });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');
    const p = [...gl.pipelines.values()][0]!;
    expect(p.variables).toEqual([]);
    expect(p.inputs).toEqual({ release: 'v1.1.0', image_tag: 'v1.1.0', target: 'demo-prod' });
    const post = gl.requests.find((r) => r.method === 'POST')!;
    expect(JSON.parse(post.body!)).toEqual({ ref: 'main', inputs: { release: 'v1.1.0', image_tag: 'v1.1.0', target: 'demo-prod' } });
  });
});

describe('trigger tokens', () => {
  it('starts the pipeline with the trigger token in the form body, follows it with the API token', async () => {
    const { deploys, sent } = service({ triggerToken: gl.triggerToken, inputs: { release: '{release}' } });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');
    const p = [...gl.pipelines.values()][0]!;
    expect(p).toMatchObject({ source: 'trigger', ref: 'main', inputs: { release: 'v1.1.0' } });
    expect(p.variables).toEqual(expect.arrayContaining([{ key: 'OPSBOT_RELEASE', value: 'v1.1.0' }, { key: 'OPSBOT_TASK_ID', value: task.id }]));
    const trigger = gl.requests.find((r) => r.url.endsWith('/trigger/pipeline'))!;
    expect(trigger).toMatchObject({ method: 'POST', url: '/api/v4/projects/group%2Fdemo/trigger/pipeline', token: undefined });
    expect(gl.requests.filter((r) => r.method === 'GET').every((r) => r.token === API_TOKEN)).toBe(true);
    await deploys.idle();
    expect(JSON.stringify(sent) + (await logOf(deploys, task.id)) + JSON.stringify(await deploys.get(task.id))).not.toContain(gl.triggerToken);
  });

  it('a wrong trigger token fails with GitLab’s 404, never showing the token', async () => {
    const { deploys } = service({ triggerToken: 'glptt-wrong-token-abcdef' });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    const reason = (await deploys.get(task.id))!.reason!;
    expect(reason).toContain('404 Not Found');
    expect(reason + (await logOf(deploys, task.id))).not.toContain('glptt-wrong-token-abcdef');
  });
});

describe('cancel ends as GitLab reports the pipeline', () => {
  it('canceling is not an end: the task ends cancelled once GitLab says canceled', async () => {
    gl.nextScript = ['pending', ...Array<string>(500).fill('running')];
    gl.cancelVia = 'canceling';
    gl.cancelingPolls = 4;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    const p = await created(deploys, task.id);
    await deploys.cancel(task.id, 'Alice');
    await until(async () => (await logOf(deploys, task.id)).includes('cancel asked, GitLab reports canceling'));
    expect(await stateOf(deploys, task.id)).toBe('running');
    await until(async () => (await stateOf(deploys, task.id)) === 'cancelled');
    expect(p.status).toBe('canceled');
    expect((await deploys.get(task.id))?.reason).toBe('pipeline canceled');
  });

  it('a pipeline that succeeded before the cancel reached it is a success', async () => {
    gl.nextScript = Array<string>(500).fill('running');
    const { deploys } = service({}, { pollIntervalMs: 60_000 }); // the engine has not polled the success yet
    const { task } = await deploy(deploys);
    const p = await created(deploys, task.id);
    await until(() => gl.requests.some((r) => r.method === 'GET'));
    p.status = 'success';
    p.script = [];
    await deploys.cancel(task.id, 'Alice');
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');
    expect(await logOf(deploys, task.id)).toContain(`pipeline #${p.id} ended success before the cancel took effect`);
  });
});

describe('a project given by numeric id', () => {
  it('creates the pipeline on /projects/42 and takes webhook updates that name the project by path', async () => {
    gl.nextScript = Array<string>(500).fill('running');
    const { deploys, events } = service({}, { gitlabProject: '42', pollIntervalMs: 60_000 });
    const { task } = await deploy(deploys);
    const p = await created(deploys, task.id);
    expect(gl.requests[0]!.url).toBe('/api/v4/projects/42/pipeline');
    // The GitLab source names the project by its path and carries the numeric id beside it.
    await events.emit({ type: 'deploy.pipeline.updated', payload: { project: 'group/demo', projectId: 42, pipelineId: p.id, status: 'success' }, occurredAt: Date.now() });
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded', 2000);
  });
});
