import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProductsConfig } from '../../src/deploy/config.ts';
import type { KubernetesEngineConfig } from '../../src/deploy/engines/kubernetes.ts';
import { createDeployService } from '../../src/deploy/service.ts';
import { TaskRepo } from '../../src/deploy/tasks.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { FakeKubernetes } from './fake-kubernetes.ts';
import { harness, msg, until, who } from './helpers.ts';

let k8s: FakeKubernetes;
let dir: string;
let kubeconfig: string;

/** A kubeconfig with a token user, the shape `kubectl config view --raw` prints. */
const writeKubeconfig = (token: string) =>
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
current-context: demo
clusters:
  - name: fake
    cluster: { server: "${k8s.url}" }
users:
  - name: opsbot
    user: { token: "${token}" }
contexts:
  - name: demo
    context: { cluster: fake, user: opsbot, namespace: demo }
`,
  );

beforeEach(async () => {
  k8s = new FakeKubernetes();
  await k8s.start();
  k8s.add({ name: 'component-a', containers: [{ name: 'app', image: 'registry.local/demo/component-a:v1.0.0' }, { name: 'sidecar', image: 'envoy:1.30' }] });
  k8s.add({ name: 'component-b', containers: [{ name: 'app', image: 'registry.local/demo/component-b:v1.0.0' }] });
  dir = mkdtempSync(join(tmpdir(), 'opsbot-k8s-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(k8s.token);
});
afterEach(async () => {
  await k8s.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cfg = { pollIntervalMs: 10, maxPollIntervalMs: 20, progressThrottleMs: 0 };

function products(engine: Partial<KubernetesEngineConfig> = {}, timeoutSeconds?: number): ProductsConfig {
  return {
    demo: {
      components: ['component-a', 'component-b'],
      releases: { 'v1.1.0': { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' } },
      environments: {
        k8s: {
          ...(timeoutSeconds ? { timeoutSeconds } : {}),
          engine: {
            type: 'kubernetes', kubeconfig, namespace: 'demo', image: 'registry.local/demo/{component}:{version}',
            workloads: { 'component-a': { kind: 'Deployment', name: 'component-a', container: 'app' }, 'component-b': { name: 'component-b', container: 'app' } },
            ...engine,
          },
        },
      },
    },
  };
}

function service(o: { engine?: Partial<KubernetesEngineConfig>; store?: MemoryStore; timeoutSeconds?: number } = {}) {
  const h = harness(products(o.engine, o.timeoutSeconds), o.store ?? new MemoryStore());
  const deploys = createDeployService(h.services, { config: cfg });
  return { ...h, deploys };
}

type Deploys = ReturnType<typeof service>['deploys'];
const deploy = (deploys: Deploys) => deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'k8s', requestedBy: who, message: msg() });
const stateOf = async (deploys: Deploys, id: string) => (await deploys.get(id))?.state;
const logOf = async (deploys: Deploys, id: string) => (await deploys.logTail(id, 200)).join('\n');

describe('kubernetes engine through the deploy service', () => {
  it('patches only the changed component, follows the rollout step by step and succeeds', async () => {
    const { deploys, sent } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');

    // One strategic-merge PATCH, for component-a only, naming only its container.
    expect(k8s.patches()).toHaveLength(1);
    const patch = k8s.requests.find((r) => r.method === 'PATCH')!;
    expect(patch).toMatchObject({ path: '/apis/apps/v1/namespaces/demo/deployments/component-a', contentType: 'application/strategic-merge-patch+json' });
    expect(JSON.parse(patch.body!)).toEqual({ spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.local/demo/component-a:v1.1.0' }] } } } });
    const a = k8s.workloads.get('demo/Deployment/component-a')!;
    expect(a.containers).toEqual([{ name: 'app', image: 'registry.local/demo/component-a:v1.1.0' }, { name: 'sidecar', image: 'envoy:1.30' }]);
    expect(a.generation).toBe(2);

    const log = await logOf(deploys, task.id);
    expect(log).toContain('component-b: deployment/component-b already runs registry.local/demo/component-b:v1.0.0, not patched');
    expect(log).toContain('set deployment/component-a container app image registry.local/demo/component-a:v1.0.0 → registry.local/demo/component-a:v1.1.0 (generation 2)');
    expect(log).toContain('deployment/component-a: 0 of 3 new replicas updated');
    expect(log).toContain('old replicas pending termination');
    expect(log).toContain('updated replicas available');
    expect(log).toContain('deployment/component-a successfully rolled out');
    // The pods were asked about with the workload's selector.
    expect(k8s.requests.some((r) => r.path === '/api/v1/namespaces/demo/pods?labelSelector=app%3Dcomponent-a')).toBe(true);

    const done = (await deploys.get(task.id))!;
    expect(done.engineRef?.external).toEqual({ id: 'rollout:Deployment/component-a@2', cursor: 1, label: 'deployment/component-a in demo' });
    await deploys.idle();
    const card = JSON.stringify(sent.at(-1)!.reply);
    expect(card).toContain('deployment/component-a in demo');
    expect(JSON.stringify(sent) + log + JSON.stringify(done)).not.toContain(k8s.token);
    expect(k8s.requests.every((r) => r.auth)).toBe(true);
  });

  it('links the workload to a dashboard when one is configured', async () => {
    const { deploys, sent } = service({ engine: { dashboardUrl: 'https://dash.local/#/{kind}/{namespace}/{name}' } });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');
    expect((await deploys.get(task.id))!.engineRef).toMatchObject({ webUrl: 'https://dash.local/#/deployment/demo/component-a', external: { url: 'https://dash.local/#/deployment/demo/component-a' } });
    await deploys.idle();
    expect(JSON.stringify(sent.at(-1)!.reply)).toContain('https://dash.local/#/deployment/demo/component-a');
  });

  it('reports pods that cannot pull their image once each, then fails on the progress deadline', async () => {
    k8s.failingImages.add('registry.local/demo/component-a:v1.1.0');
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    const t = (await deploys.get(task.id))!;
    expect(t.reason).toBe('deployment/component-a exceeded its progress deadline: ReplicaSet "component-a-2" has timed out progressing.');
    const lines = await deploys.logTail(task.id, 200);
    const pulls = lines.filter((l) => l.includes('pod component-a-2-new0 container app: ErrImagePull'));
    const backoffs = lines.filter((l) => l.includes('pod component-a-2-new0 container app: ImagePullBackOff: Back-off pulling image "registry.local/demo/component-a:v1.1.0"'));
    expect(pulls).toHaveLength(1);
    expect(backoffs).toHaveLength(1);
  });

  it('a workload already at its image is not patched, but a rollout of it that is stuck still fails the deploy', async () => {
    // component-b runs v1.0.0 already, but that rollout never got its pods available (review finding 5).
    const b = k8s.workloads.get('demo/component-b') ?? [...k8s.workloads.values()].find((w) => w.name === 'component-b')!;
    b.generation = 2;
    b.observedGeneration = 2;
    b.updated = 1;
    b.availableNew = 0;
    b.deadlineExceeded = true;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    expect((await deploys.get(task.id))!.reason).toContain('deployment/component-b exceeded its progress deadline');
    expect(k8s.patches().filter((p) => p.path.includes('component-b'))).toHaveLength(0);
  });

  it('cancel stops following, says so, and leaves the rollout to Kubernetes', async () => {
    k8s.hold = true;
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await logOf(deploys, task.id)).includes('0 of 3 new replicas updated'));
    await deploys.cancel(task.id, 'Alice');
    await until(async () => (await stateOf(deploys, task.id)) === 'cancelled');
    expect((await deploys.get(task.id))?.reason).toBe('stopped following the rollout');
    expect(await logOf(deploys, task.id)).toContain('cancel: stopped following deployment/component-a in demo; Kubernetes finishes or undoes the rollout itself');
    expect(k8s.patches()).toHaveLength(1);
  });

  it('fails with the task timeout while the rollout does not finish', async () => {
    k8s.hold = true;
    const { deploys } = service({ timeoutSeconds: 1 });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed', 10_000);
    expect((await deploys.get(task.id))?.reason).toBe('timeout');
  });

  it('a missing workload fails with the API server’s 404 message', async () => {
    const { deploys } = service({ engine: { workloads: { 'component-a': { name: 'nope', container: 'app' } } } });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    expect((await deploys.get(task.id))?.reason).toBe('kubernetes: get deployment/nope in demo: HTTP 404: deployments.apps "nope" not found');
    expect(await logOf(deploys, task.id)).toContain('component-b: no workload in engine.workloads, not deployed by this engine');
  });

  it('a container that is not in the pod template fails naming the key to fix', async () => {
    const { deploys } = service({ engine: { workloads: { 'component-a': { name: 'component-a', container: 'web' } } } });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    expect((await deploys.get(task.id))?.reason).toBe('deployment/component-a in demo has no container web (containers: app, sidecar; check engine.workloads.component-a.container)');
    expect(k8s.patches()).toHaveLength(0);
  });

  it('a refused token fails with 401 and never shows the token', async () => {
    writeKubeconfig('wrong-token-value-123456');
    const { deploys } = service();
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    const reason = (await deploys.get(task.id))!.reason!;
    expect(reason).toMatch(/HTTP 401 \(the credentials of kubeconfig .* \(context demo\) were refused\): Unauthorized/);
    expect(reason + (await logOf(deploys, task.id))).not.toContain('wrong-token-value-123456');
  });

  it('a kubeconfig that cannot be read fails naming engine.kubeconfig', async () => {
    const { deploys } = service({ engine: { kubeconfig: join(dir, 'missing') } });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'failed');
    expect((await deploys.get(task.id))?.reason).toMatch(/cannot read kubeconfig .*missing \(ENOENT; check engine\.kubeconfig\)/);
  });

  it('a StatefulSet is followed by its revisions', async () => {
    k8s.add({ kind: 'StatefulSet', name: 'component-a', containers: [{ name: 'app', image: 'registry.local/demo/component-a:v1.0.0' }] });
    const { deploys } = service({ engine: { workloads: { 'component-a': { kind: 'StatefulSet', name: 'component-a', container: 'app' } } } });
    const { task } = await deploy(deploys);
    await until(async () => (await stateOf(deploys, task.id)) === 'succeeded');
    expect(k8s.patches().map((p) => p.path)).toEqual(['/apis/apps/v1/namespaces/demo/statefulsets/component-a']);
    expect(await logOf(deploys, task.id)).toContain('statefulset/component-a: rolling update complete, 3 pods at revision component-a-2');
  });
});

describe('kubernetes engine after a restart', () => {
  it('re-attaches mid-rollout to the recorded workload and never patches again', async () => {
    k8s.hold = true;
    const store = new MemoryStore();
    const first = service({ store });
    const { task } = await deploy(first.deploys);
    await until(async () => (await first.deploys.get(task.id))?.engineRef?.external?.cursor === 1);
    await until(async () => (await logOf(first.deploys, task.id)).includes('0 of 3 new replicas updated'));
    await first.deploys.stop(); // graceful: the rollout is let go, not cancelled
    expect(await stateOf(first.deploys, task.id)).toBe('running');

    k8s.hold = false;
    const second = service({ store });
    await second.deploys.recover();
    await until(async () => (await stateOf(second.deploys, task.id)) === 'succeeded');
    expect(k8s.patches()).toHaveLength(1);
    const log = await logOf(second.deploys, task.id);
    expect(log).toContain('re-attached to deployment/component-a in demo after restart');
    expect(log).toContain('deployment/component-a successfully rolled out');
  });

  it('a patch that went through but was not recorded is not sent again', async () => {
    // The process died between the PATCH and recording it: the image is already the release's.
    const store = new MemoryStore();
    const repo = new TaskRepo(store);
    const { task } = await repo.create({
      product: 'demo', release: 'v1.1.0', env: 'k8s', kind: 'deploy', components: { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' },
      requestedBy: who, chat: 'test:room', engine: 'kubernetes', createdAt: Date.now(),
    });
    await repo.patch(task.id, () => ({ state: 'running', startedAt: Date.now(), engineRef: { external: { id: 'rollout:', cursor: 0 } } }));
    k8s.workloads.get('demo/Deployment/component-a')!.containers[0]!.image = 'registry.local/demo/component-a:v1.1.0';
    const second = service({ store });
    await second.deploys.recover();
    await until(async () => (await stateOf(second.deploys, task.id)) === 'succeeded');
    expect(k8s.patches()).toHaveLength(0);
    expect(await logOf(second.deploys, task.id)).toContain('setting the images not set yet');
  });

  it('a task with nothing recorded is interrupted, never started again', async () => {
    const store = new MemoryStore();
    const repo = new TaskRepo(store);
    const { task } = await repo.create({
      product: 'demo', release: 'v1.1.0', env: 'k8s', kind: 'deploy', components: { 'component-a': 'v1.1.0' },
      requestedBy: who, chat: 'test:room', engine: 'kubernetes', createdAt: Date.now(),
    });
    await repo.patch(task.id, () => ({ state: 'running', startedAt: Date.now() }));
    const second = service({ store });
    await second.deploys.recover();
    expect(await stateOf(second.deploys, task.id)).toBe('interrupted');
    expect(k8s.requests).toHaveLength(0);
  });
});
