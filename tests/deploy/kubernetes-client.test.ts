import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inClusterConnection, loadKubeconfig, parseKubeconfig } from '../../src/deploy/engines/kubeconfig.ts';
import { createKubernetesApi, type Workload } from '../../src/deploy/engines/kubernetes-api.ts';
import { imageTemplateProblems, renderImage, rolloutStatus } from '../../src/deploy/engines/kubernetes-rollout.ts';
import { decodePatched, encodePatched } from '../../src/deploy/engines/kubernetes.ts';
import { FakeKubernetes } from './fake-kubernetes.ts';

const tls = (f: string) => readFileSync(new URL(`./fixtures/k8s-tls/${f}`, import.meta.url));
const b64 = (b: Buffer) => b.toString('base64');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsbot-kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (user: string, cluster = 'server: https://10.0.0.1:6443') => `apiVersion: v1
kind: Config
current-context: prod
clusters:
  - { name: c1, cluster: { ${cluster} } }
users:
  - { name: u1, user: ${user} }
contexts:
  - { name: prod, context: { cluster: c1, user: u1 } }
  - { name: other, context: { cluster: c1 } }
`;

describe('kubeconfig parsing', () => {
  it('a token user', async () => {
    const c = await parseKubeconfig(kubeconfig('{ token: abc-token-1234 }'), { path: join(dir, 'config') });
    expect(c).toEqual({ server: 'https://10.0.0.1:6443', token: 'abc-token-1234', source: `kubeconfig ${join(dir, 'config')} (context prod)` });
  });

  it('a client certificate given inline (-data, base64 PEM), and the cluster CA', async () => {
    const user = `{ client-certificate-data: ${b64(tls('client.crt'))}, client-key-data: ${b64(tls('client.key'))} }`;
    const c = await parseKubeconfig(kubeconfig(user, `server: https://10.0.0.1:6443/, certificate-authority-data: ${b64(tls('ca.crt'))}`), { path: join(dir, 'config') });
    expect(c.server).toBe('https://10.0.0.1:6443');
    expect(c.cert?.equals(tls('client.crt'))).toBe(true);
    expect(c.key?.equals(tls('client.key'))).toBe(true);
    expect(c.ca?.equals(tls('ca.crt'))).toBe(true);
    expect(c.token).toBeUndefined();
  });

  it('client certificate files relative to the kubeconfig’s directory; another context', async () => {
    writeFileSync(join(dir, 'client.crt'), tls('client.crt'));
    writeFileSync(join(dir, 'client.key'), tls('client.key'));
    writeFileSync(join(dir, 'config'), kubeconfig('{ client-certificate: client.crt, client-key: client.key }', 'server: https://10.0.0.1:6443, insecure-skip-tls-verify: true'));
    const c = await loadKubeconfig(join(dir, 'config'));
    expect(c.cert?.equals(tls('client.crt'))).toBe(true);
    expect(c.insecureSkipTlsVerify).toBe(true);
    const other = await loadKubeconfig(join(dir, 'config'), 'other');
    expect(other.cert).toBeUndefined();
    expect(other.source).toContain('(context other)');
  });

  it('says what is wrong, never the token', async () => {
    const p = { path: '/etc/kube/config' };
    await expect(parseKubeconfig(kubeconfig('{ exec: { command: aws } }'), p)).rejects.toThrow(/uses an exec\/auth-provider plugin/);
    await expect(parseKubeconfig(kubeconfig('{ client-certificate-data: eA== }'), p)).rejects.toThrow(/client certificate without its key/);
    await expect(parseKubeconfig(kubeconfig('{ username: admin, password: x }'), p)).rejects.toThrow(/basic auth/);
    await expect(parseKubeconfig(kubeconfig('{ token: t0ken-secret-1 }'), { ...p, context: 'nope' })).rejects.toThrow('kubeconfig /etc/kube/config: no context named nope');
    await expect(parseKubeconfig(kubeconfig('{ client-certificate: /nowhere/c.crt, client-key: k }'), p)).rejects.toThrow('cannot read client-certificate /nowhere/c.crt (ENOENT)');
    await expect(parseKubeconfig('clusters: [', p)).rejects.toThrow(/not YAML/);
    const err = await parseKubeconfig(kubeconfig('{ token: t0ken-secret-1 }', 'server: ftp://x'), p).catch((e: Error) => e.message);
    expect(err).toBe('kubeconfig /etc/kube/config: cluster c1 server is not an http(s) URL');
  });

  it('in a pod: the service account token file, its CA and the service host', async () => {
    writeFileSync(join(dir, 'ca.crt'), tls('ca.crt'));
    const c = await inClusterConnection({ dir, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
    expect(c).toMatchObject({ server: 'https://10.96.0.1:443', tokenFile: join(dir, 'token'), source: 'in-cluster service account' });
    expect((await inClusterConnection({ dir, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } })).server).toBe('https://[fd00::1]:443');
    await expect(inClusterConnection({ dir, env: {} })).rejects.toThrow(/set engine\.kubeconfig/);
  });
});

describe('the client against the fake API server over TLS', () => {
  let k8s: FakeKubernetes;
  beforeEach(async () => {
    k8s = new FakeKubernetes();
    await k8s.start({ cert: tls('server.crt'), key: tls('server.key'), ca: tls('ca.crt') });
    k8s.add({ name: 'web', containers: [{ name: 'app', image: 'r/web:1' }] });
  });
  afterEach(() => k8s.stop());

  it('authenticates with a client certificate and trusts the cluster CA', async () => {
    const api = createKubernetesApi({ server: k8s.url, ca: tls('ca.crt'), cert: tls('client.crt'), key: tls('client.key'), source: 'test' });
    const w = await api.setImage('Deployment', 'demo', 'web', 'app', 'r/web:2');
    expect(w).toMatchObject({ name: 'web', generation: 2, containers: [{ name: 'app', image: 'r/web:2' }], selector: { app: 'web' } });
    expect(k8s.requests.map((r) => r.certUser)).toEqual(['opsbot']);
    await api.close();
  });

  it('a token read from a token file (service account), re-read on each call', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${k8s.token}\n`);
    const api = createKubernetesApi({ server: k8s.url, ca: tls('ca.crt'), tokenFile, source: 'in-cluster service account' });
    expect((await api.get('Deployment', 'demo', 'web')).replicas).toBe(3);
    writeFileSync(tokenFile, 'rotated-but-wrong-token');
    await expect(api.get('Deployment', 'demo', 'web')).rejects.toThrow('kubernetes: get deployment/web in demo: HTTP 401 (the credentials of in-cluster service account were refused): Unauthorized');
    await api.close();
  });

  it('refuses a server certificate it cannot verify', async () => {
    const api = createKubernetesApi({ server: k8s.url, token: k8s.token, source: 'test' });
    await expect(api.get('Deployment', 'demo', 'web')).rejects.toThrow(/kubernetes: cannot reach https:\/\/127\.0\.0\.1:\d+ \(.*\) via test/);
    await api.close();
  });
});

describe('the fake API server follows the reference', () => {
  let k8s: FakeKubernetes;
  beforeEach(async () => {
    k8s = new FakeKubernetes();
    await k8s.start();
    k8s.add({ name: 'web', containers: [{ name: 'app', image: 'r/web:1' }] });
  });
  afterEach(() => k8s.stop());
  const call = async (method: 'GET' | 'PATCH', path: string, contentType?: string, body?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${k8s.token}`, ...(contentType ? { 'content-type': contentType } : {}) };
    const r = await request(k8s.url + path, { method, headers, ...(body ? { body } : {}) });
    return { status: r.statusCode, json: (await r.body.json()) as Record<string, unknown> };
  };

  it('415 for a patch type other than strategic merge, 404 Status for a missing workload, same spec keeps the generation', async () => {
    const path = '/apis/apps/v1/namespaces/demo/deployments/web';
    const same = JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'app', image: 'r/web:1' }] } } } });
    expect(await call('PATCH', path, 'application/merge-patch+json', same)).toMatchObject({ status: 415, json: { kind: 'Status', reason: 'UnsupportedMediaType', code: 415 } });
    expect(await call('GET', '/apis/apps/v1/namespaces/demo/deployments/nope')).toMatchObject({
      status: 404, json: { kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'deployments.apps "nope" not found', details: { name: 'nope', group: 'apps', kind: 'deployments' } },
    });
    const r = await call('PATCH', path, 'application/strategic-merge-patch+json', same);
    expect((r.json.metadata as { generation: number }).generation).toBe(1);
  });
});

const deployment = (spec: Partial<Workload>, status: Partial<Workload['status']>): Workload => ({
  kind: 'Deployment', name: 'web', generation: 2, replicas: 3, containers: [], selector: {}, ...spec,
  status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3, conditions: [], ...status },
});

describe('rollout status, as kubectl decides it', () => {
  it('Deployment rules, in kubectl’s order', () => {
    expect(rolloutStatus(deployment({}, { observedGeneration: 1 }))).toMatchObject({ done: false, message: expect.stringContaining('waiting for the deployment spec update to be observed') });
    // The deadline counts only once the current generation is observed.
    const deadline = { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] };
    expect(rolloutStatus(deployment({}, { ...deadline, observedGeneration: 1 })).done).toBe(false);
    expect(rolloutStatus(deployment({}, { ...deadline, updatedReplicas: 1 }))).toEqual({ done: true, failed: true, message: 'deployment/web exceeded its progress deadline' });
    expect(rolloutStatus(deployment({}, { updatedReplicas: 1 })).message).toBe('deployment/web: 1 of 3 new replicas updated');
    expect(rolloutStatus(deployment({}, { replicas: 4 })).message).toBe('deployment/web: 1 old replicas pending termination');
    expect(rolloutStatus(deployment({}, { availableReplicas: 2 })).message).toBe('deployment/web: 2 of 3 updated replicas available');
    expect(rolloutStatus(deployment({}, {}))).toEqual({ done: true, failed: false, message: 'deployment/web successfully rolled out' });
  });

  it('StatefulSet rules: observed generation, ready pods, partitions, revisions; OnDelete cannot be followed', () => {
    const sts = (spec: Partial<Workload>, status: Partial<Workload['status']>) =>
      deployment({ kind: 'StatefulSet', updateStrategy: { type: 'RollingUpdate' }, ...spec }, { currentRevision: 'web-2', updateRevision: 'web-2', ...status });
    expect(rolloutStatus(sts({}, { observedGeneration: 1 })).done).toBe(false);
    expect(rolloutStatus(sts({}, { readyReplicas: 2 })).message).toBe('statefulset/web: waiting for 1 pods to be ready');
    expect(rolloutStatus(sts({}, { currentRevision: 'web-1', updatedReplicas: 2 })).message).toBe('statefulset/web: rolling update: 2 pods at revision web-2');
    expect(rolloutStatus(sts({ updateStrategy: { type: 'RollingUpdate', partition: 2 } }, { currentRevision: 'web-1', updatedReplicas: 1 }))).toMatchObject({ done: true, failed: false });
    expect(rolloutStatus(sts({ updateStrategy: { type: 'RollingUpdate', partition: 1 } }, { currentRevision: 'web-1', updatedReplicas: 1 })).done).toBe(false);
    expect(rolloutStatus(sts({ updateStrategy: { type: 'OnDelete' } }, {}))).toMatchObject({ done: true, failed: true });
    expect(rolloutStatus(sts({}, {}))).toMatchObject({ done: true, failed: false });
  });

  it('image templates and the recorded handle', () => {
    expect(renderImage('registry.local/demo/{component}:{version}', 'component-a', 'v1.1.0')).toBe('registry.local/demo/component-a:v1.1.0');
    expect(imageTemplateProblems('r/{component}:{tag}')).toEqual(['unknown placeholder {tag}', 'the image has no {version}: every deploy would set the same image']);
    const patched = [{ kind: 'Deployment' as const, name: 'a', generation: 7 }, { kind: 'StatefulSet' as const, name: 'db', generation: 3 }];
    expect(encodePatched(patched)).toBe('rollout:Deployment/a@7,StatefulSet/db@3');
    expect(decodePatched(encodePatched(patched))).toEqual(patched);
    expect(decodePatched('rollout:')).toEqual([]);
    expect(decodePatched('build:1')).toBeUndefined();
  });
});
