import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProductsConfig } from '../../src/deploy/config.ts';
import { jobPath } from '../../src/deploy/engines/jenkins-api.ts';
import { mapBuildResult, renderTemplate, type JenkinsEngineConfig } from '../../src/deploy/engines/jenkins.ts';
import { createDeployService } from '../../src/deploy/service.ts';
import { TaskRepo } from '../../src/deploy/tasks.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { FakeJenkins } from './fake-jenkins.ts';
import { harness, msg, until, who } from './helpers.ts';

let jk: FakeJenkins;
beforeEach(async () => {
  jk = new FakeJenkins();
  await jk.start();
});
afterEach(() => jk.stop());

const cfg = { pollIntervalMs: 10, maxPollIntervalMs: 40, progressThrottleMs: 0 };

function products(engine: Partial<JenkinsEngineConfig> = {}): ProductsConfig {
  return {
    demo: {
      components: ['component-a', 'component-b'],
      releases: { 'v1.1.0': { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' } },
      environments: {
        ci: {
          engine: {
            type: 'jenkins', url: jk.url, job: 'team/deploy-demo', user: 'bot', token: jk.token,
            parameters: { RELEASE: '{release}', IMAGE_TAG: '{version:component-a}', TARGET: '{product}-{env}' },
            ...engine,
          },
        },
      },
    },
  };
}

function service(engine: Partial<JenkinsEngineConfig> = {}, store = new MemoryStore(), config = cfg) {
  const h = harness(products(engine), store);
  const deploys = createDeployService(h.services, { config });
  return { ...h, deploys };
}

type Deploys = ReturnType<typeof service>['deploys'];
const deploy = (deploys: Deploys) => deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'ci', requestedBy: who, message: msg() });
const stateOf = async (deploys: Deploys, id: string) => (await deploys.get(id))?.state;
const externalOf = async (deploys: Deploys, id: string) => (await deploys.get(id))?.engineRef?.external?.id ?? '';
const authHeader = () => `Basic ${Buffer.from(`bot:${jk.token}`).toString('base64')}`;

describe('jenkins engine: pure parts', () => {
  it('addresses jobs in folders one /job/ segment per level, URL-encoded', () => {
    expect(jobPath('team/deploy-demo')).toBe('/job/team/job/deploy-demo');
    expect(jobPath('deploy-flat')).toBe('/job/deploy-flat');
    expect(jobPath('ops team/deploy demo')).toBe('/job/ops%20team/job/deploy%20demo');
  });

  it('renders parameter templates and maps results', () => {
    const task = { product: 'demo', release: 'v2', env: 'ci', components: { 'component-a': 'v2.1' } };
    expect(renderTemplate('{product}/{env}:{release} a={version:component-a} b={version:component-b} {"json":1}', task)).toBe('demo/ci:v2 a=v2.1 b= {"json":1}');
    expect(mapBuildResult('SUCCESS')).toEqual({ outcome: 'succeeded' });
    expect(mapBuildResult('UNSTABLE')).toEqual({ outcome: 'failed', reason: 'build UNSTABLE' });
    expect(mapBuildResult('UNSTABLE', ['SUCCESS', 'UNSTABLE'])).toEqual({ outcome: 'succeeded' });
    expect(mapBuildResult('ABORTED')).toEqual({ outcome: 'cancelled', reason: 'build aborted' });
    expect(mapBuildResult('NOT_BUILT').outcome).toBe('failed');
  });
});

describe('jenkins engine through the deploy service', () => {
  it('triggers with parameters, follows queue → build, streams the console and succeeds', async () => {
    const { deploys, sent } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');

    const trigger = jk.requests.find((r) => r.path.endsWith('/buildWithParameters'))!;
    expect(trigger).toMatchObject({ method: 'POST', path: '/job/team/job/deploy-demo/buildWithParameters' });
    const b = jk.builds[0]!;
    expect(b.params).toMatchObject({
      RELEASE: 'v1.1.0', IMAGE_TAG: 'v1.1.0', TARGET: 'demo-ci',
      OPSBOT_PRODUCT: 'demo', OPSBOT_RELEASE: 'v1.1.0', OPSBOT_ENV: 'ci', OPSBOT_TASK_ID: task.id, OPSBOT_VERSION_COMPONENT_A: 'v1.1.0',
    });
    const buildUrl = `${jk.url}/job/team/job/deploy-demo/1/`;
    const done = (await deploys.get(task.id))!;
    expect(done.engineRef).toMatchObject({ webUrl: buildUrl, external: { id: 'build:1', url: buildUrl, cursor: b.log.length } });

    const log = await deploys.logTail(task.id, 50);
    const text = log.join('\n');
    expect(text).toContain('queued as item 40');
    expect(text).toContain('queued: Waiting for next available executor');
    expect(text).toContain(`build #1 started: ${buildUrl}`);
    // A line split over two progressiveText answers arrives whole; the console note is gone.
    expect(log.some((l) => l.endsWith(' Deploying component-a v1.1.0 ✓'))).toBe(true);
    expect(text).toContain('Finished: SUCCESS');
    expect(log.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l))).toBe(true);

    await deploys.idle();
    expect(sent.at(-1)!.cardKey).toBe(`task:${task.id}`);
    expect(JSON.stringify(sent.at(-1)!.reply)).toContain(buildUrl);
    // The token and the Authorization header never leave the HTTP requests.
    const everything = JSON.stringify(sent) + text + JSON.stringify(done);
    expect(everything).not.toContain(jk.token);
    expect(everything).not.toContain(authHeader().slice(6));
    expect(jk.requests.every((r) => r.auth)).toBe(true);
  });

  it('marks a FAILURE build failed', async () => {
    jk.result = 'FAILURE';
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    expect((await deploys.get(task.id))?.reason).toBe('build FAILURE');
    expect((await deploys.logTail(task.id, 5)).join('\n')).toContain('Finished: FAILURE');
  });

  it('UNSTABLE fails by default and succeeds when successResults includes it; a result set mid-build does not end it early', async () => {
    jk.result = 'UNSTABLE';
    jk.midBuildResult = true;
    const strict = service();
    const a = await deploy(strict.deploys);
    await until(async () => (await stateOf(strict.deploys, a.task.id)) === 'failed');
    expect((await strict.deploys.get(a.task.id))?.reason).toBe('build UNSTABLE');

    const lenient = service({ successResults: ['SUCCESS', 'UNSTABLE'] });
    const b = await deploy(lenient.deploys);
    await until(async () => (await stateOf(lenient.deploys, b.task.id)) === 'succeeded');
    // The build carried UNSTABLE while still building: the task waited for its end (the last console line).
    expect((await lenient.deploys.logTail(b.task.id, 5)).join('\n')).toContain('Finished: UNSTABLE');
  });

  it('cancel while queued cancels the queue item; no build starts', async () => {
    jk.queuePolls = 10_000;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await externalOf(deploys, task.id)).startsWith('queue:'));
    await deploys.cancel(task.id, 'Alice');
    await until(async () => (await stateOf(deploys, task.id)) === 'cancelled');
    expect(jk.requests.some((r) => r.method === 'POST' && r.path === '/queue/cancelItem?id=40')).toBe(true);
    expect(jk.builds).toHaveLength(0);
    expect((await deploys.get(task.id))?.reason).toBe('queue item cancelled');
  });

  it('cancel during a build stops it and ends cancelled only once Jenkins says ABORTED', async () => {
    jk.hold = true;
    jk.abortPolls = 8;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await externalOf(deploys, task.id)) === 'build:1');
    await until(async () => (await deploys.logTail(task.id, 20)).join('\n').includes('step 2'));
    await deploys.cancel(task.id, 'Alice');
    await until(() => jk.requests.some((r) => r.method === 'POST' && r.path === '/job/team/job/deploy-demo/1/stop'));
    expect(jk.builds[0]!.building).toBe(true);
    expect(await stateOf(deploys, task.id)).toBe('running');
    await until(async () => (await stateOf(deploys, task.id)) === 'cancelled');
    expect(jk.builds[0]!.result).toBe('ABORTED');
    expect((await deploys.get(task.id))?.reason).toBe('build aborted');
    const text = (await deploys.logTail(task.id, 20)).join('\n');
    expect(text).toContain('waiting for it to end ABORTED');
    expect(text).toContain('Aborted by bot');
  });

  it('a cancel racing the build finishing: Jenkins says SUCCESS, so the deploy succeeded', async () => {
    jk.hold = true;
    jk.stopHonoured = false;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await externalOf(deploys, task.id)) === 'build:1');
    await deploys.cancel(task.id, 'Alice');
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');
    expect((await deploys.logTail(task.id, 20)).join('\n')).toContain('finished SUCCESS before the stop took effect');
  });

  it('a cancel that reaches the queue too late: the item became a build, which is stopped', async () => {
    jk.queuePolls = 3;
    jk.hold = true;
    jk.cancelTooLate = true;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await externalOf(deploys, task.id)).startsWith('queue:'));
    await deploys.cancel(task.id, 'Alice');
    await until(async () => (await stateOf(deploys, task.id)) === 'cancelled');
    const posts = jk.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(posts).toEqual(['/job/team/job/deploy-demo/buildWithParameters', '/queue/cancelItem?id=40', '/job/team/job/deploy-demo/1/stop']);
    expect((await deploys.get(task.id))?.reason).toBe('build aborted');
  });

  it('fetches a CSRF crumb after a 403, retries once with it and the session cookie', async () => {
    jk.crumbRequired = true;
    const { deploys } = service();
    const a = await deploy(deploys);
    await until(async () => (await stateOf(deploys, a.task.id)) === 'succeeded');
    const posts = jk.requests.filter((r) => r.method === 'POST' || r.path.startsWith('/crumbIssuer'));
    expect(posts.map((r) => r.path)).toEqual(['/job/team/job/deploy-demo/buildWithParameters', '/crumbIssuer/api/json', '/job/team/job/deploy-demo/buildWithParameters']);
    expect(posts[2]).toMatchObject({ crumb: expect.stringMatching(/^[0-9a-f]{64}$/), cookie: expect.stringContaining('JSESSIONID.4a1b2c3d=') });
    expect(jk.queue.size).toBe(1);
    // The next deploy reuses the crumb and its session: no second 403.
    const b = await deploy(deploys);
    await until(async () => (await stateOf(deploys, b.task.id)) === 'succeeded');
    expect(jk.requests.filter((r) => r.path.startsWith('/crumbIssuer'))).toHaveLength(1);
    expect(jk.queue.size).toBe(2);
  });

  it('deploys a job in folders whose names need encoding', async () => {
    const { deploys } = service({ job: 'ops team/deploy demo' });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');
    expect(jk.requests[0]!.path).toBe('/job/ops%20team/job/deploy%20demo/buildWithParameters');
    expect((await deploys.get(task.id))?.engineRef?.webUrl).toBe(`${jk.url}/job/ops%20team/job/deploy%20demo/1/`);
  });

  it('fails with a reason naming the keys to check on bad credentials, never the token', async () => {
    const { deploys } = service({ token: 'wrong-token-value-123' });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    const reason = (await deploys.get(task.id))!.reason!;
    expect(reason).toMatch(/HTTP 401 \(check engine\.user and engine\.token\)/);
    expect(reason + (await deploys.logTail(task.id, 20)).join('\n')).not.toContain('wrong-token-value-123');
  });
});

describe('jenkins engine after a restart', () => {
  const slow = { pollIntervalMs: 20, maxPollIntervalMs: 20, progressThrottleMs: 0 };

  it('re-attaches mid-build to the recorded build without a second trigger, and copies the log on from its cursor', async () => {
    jk.queuePolls = 0;
    jk.script = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`);
    const store = new MemoryStore();
    const first = service({}, store, slow);
    const { task } = await deploy(first.deploys);
    await until(async () => (await first.deploys.logTail(task.id, 50)).join('\n').includes('line 3'));
    await first.deploys.stop(); // graceful: the Jenkins build is detached, not stopped
    expect(await stateOf(first.deploys, task.id)).toBe('running');
    expect(jk.builds[0]!.building).toBe(true);

    const second = service({}, store, slow);
    await second.deploys.recover();
    await until(async () => (await stateOf(second.deploys, task.id)) === 'succeeded');
    expect(jk.triggers()).toBe(1);
    expect(jk.requests.some((r) => r.method === 'POST' && r.path.endsWith('/stop'))).toBe(false);
    const log = await second.deploys.logTail(task.id, 200);
    expect(log.join('\n')).toContain('re-attached to build #1 after restart');
    for (let i = 1; i <= 30; i++) expect(log.filter((l) => l.endsWith(` line ${i}`)), `line ${i}`).toHaveLength(1);
  });

  it('a task whose trigger was never recorded is interrupted, never triggered again', async () => {
    const store = new MemoryStore();
    const repo = new TaskRepo(store);
    const { task } = await repo.create({
      product: 'demo', release: 'v1.1.0', env: 'ci', kind: 'deploy', components: { 'component-a': 'v1.1.0' },
      requestedBy: who, chat: 'test:room', engine: 'jenkins', createdAt: Date.now(),
    });
    await repo.patch(task.id, () => ({ state: 'running', startedAt: Date.now() }));
    const second = service({}, store, slow);
    await second.deploys.recover();
    expect(await stateOf(second.deploys, task.id)).toBe('interrupted');
    expect(jk.triggers()).toBe(0);
  });

  it('re-attaches to a queue item that had not started yet', async () => {
    jk.queuePolls = 15;
    const store = new MemoryStore();
    const first = service({}, store, slow);
    const { task } = await deploy(first.deploys);
    await until(async () => (await externalOf(first.deploys, task.id)).startsWith('queue:'));
    await first.deploys.stop();

    const second = service({}, store, slow);
    await second.deploys.recover();
    await until(async () => (await stateOf(second.deploys, task.id)) === 'succeeded');
    expect(jk.triggers()).toBe(1);
    expect((await second.deploys.logTail(task.id, 50)).join('\n')).toContain('re-attached to queue item 40 after restart');
  });
});
