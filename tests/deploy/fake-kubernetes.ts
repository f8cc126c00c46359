/**
 * A stand-in Kubernetes API server on 127.0.0.1 (no real API server can run on these machines:
 * alerting-and-engines.md §4). It follows the API reference as far as the `kubernetes` engine uses it:
 * - `Authorization: Bearer <token>` or (HTTPS) a client certificate signed by the cluster CA, else 401 with a
 *   `Status` object (`reason: Unauthorized`); the user a certificate names is its CN (kubernetes.io "Authenticating");
 * - `GET /apis/apps/v1/namespaces/<ns>/{deployments|statefulsets}/<name>`; a missing one → 404 Status
 *   (`deployments.apps "x" not found`, `reason: NotFound`, `details: {name, group, kind}`);
 * - `PATCH` the same path: only `Content-Type: application/strategic-merge-patch+json` is modelled, every
 *   other type → 415 Status (`UnsupportedMediaType`); `containers` merge by `name` (their patchMergeKey);
 *   `metadata.generation` advances only when the spec changed (the API server's rule);
 * - a controller that moves one step per GET of the workload: observedGeneration catches up, then, with
 *   maxSurge 1 and maxUnavailable 1, a new pod is created (`updatedReplicas`), an old one terminates, …, and
 *   the new pods become available;
 *   conditions `Progressing` (`ReplicaSetUpdated`, then `NewReplicaSetAvailable`, or `ProgressDeadlineExceeded`
 *   after `deadlinePolls` stuck polls, with status False); StatefulSets carry `currentRevision`/`updateRevision`;
 * - `GET /api/v1/namespaces/<ns>/pods?labelSelector=k=v,…`: the workload's pods; a new pod whose image is in
 *   `failingImages` waits with `ErrImagePull`, then `ImagePullBackOff` (kubelet's back-off), and never becomes ready.
 * Not modelled: watches, resourceVersion conflicts, other patch types, maxUnavailable, real scheduling.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Serve HTTPS and accept x509 client certificates signed by `ca` as well as the token (tests/deploy/fixtures/k8s-tls). */
export interface FakeTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export interface FakeWorkload {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  labels: Record<string, string>;
  replicas: number;
  containers: { name: string; image: string }[];
  generation: number;
  observedGeneration: number;
  /** Pods of the current template: created, available; pods of the previous one still running. */
  updated: number;
  availableNew: number;
  old: number;
  stuckPolls: number;
  deadlineExceeded: boolean;
  revision: number;
}

export class FakeKubernetes {
  token = 'k8s-bearer-token-0123456789abcdef';
  /** Images whose pull fails (the new pods stay in ImagePullBackOff). */
  failingImages = new Set<string>();
  /** Stuck polls before the Progressing condition turns ProgressDeadlineExceeded (progressDeadlineSeconds). */
  deadlinePolls = 6;
  /** While true the controller does not move (a slow rollout, for restart and cancel tests). */
  hold = false;
  readonly workloads = new Map<string, FakeWorkload>();
  readonly requests: { method: string; path: string; contentType?: string | undefined; auth: boolean; certUser?: string | undefined; body?: string }[] = [];
  private readonly podPolls = new Map<string, number>();
  private server?: Server;
  url = '';

  add(w: Partial<FakeWorkload> & Pick<FakeWorkload, 'name' | 'containers'>): FakeWorkload {
    const replicas = w.replicas ?? 3;
    const full: FakeWorkload = {
      kind: 'Deployment', namespace: 'demo', labels: { app: w.name }, replicas, generation: 1, observedGeneration: 1,
      updated: replicas, availableNew: replicas, old: 0, stuckPolls: 0, deadlineExceeded: false, revision: 1, ...w,
    };
    this.workloads.set(this.key(full.kind, full.namespace, full.name), full);
    return full;
  }

  patches(): { path: string; body?: string }[] {
    return this.requests.filter((r) => r.method === 'PATCH');
  }

  private key = (kind: string, ns: string, name: string) => `${ns}/${kind}/${name}`;

  /** One controller step (per GET): see the header. */
  private step(w: FakeWorkload) {
    if (w.observedGeneration < w.generation) {
      w.observedGeneration = w.generation;
      return;
    }
    if (this.hold || w.deadlineExceeded) return;
    const failing = w.containers.some((c) => this.failingImages.has(c.image));
    if (failing) {
      if (w.updated === 0) w.updated = 1; // the surge pod is created and cannot pull its image
      else if (++w.stuckPolls >= this.deadlinePolls) w.deadlineExceeded = true;
      return;
    }
    // maxSurge 1, maxUnavailable 1: create a new pod, terminate an old one, …; the new pods become available last.
    if (w.updated < w.replicas && w.updated + w.old <= w.replicas) w.updated++;
    else if (w.old > 0) w.old--;
    else if (w.availableNew < w.updated) w.availableNew++;
  }

  private wire(w: FakeWorkload) {
    const done = w.updated === w.replicas && w.old === 0 && w.availableNew === w.updated;
    const progressing = w.deadlineExceeded
      ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${w.name}-${w.revision}" has timed out progressing.` }
      : { type: 'Progressing', status: 'True', reason: done ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', message: `ReplicaSet "${w.name}-${w.revision}" ${done ? 'has successfully progressed' : 'is progressing'}.` };
    const available = w.availableNew + w.old;
    return {
      apiVersion: 'apps/v1',
      kind: w.kind,
      metadata: { name: w.name, namespace: w.namespace, generation: w.generation, uid: `uid-${w.name}`, resourceVersion: String(1000 + w.generation * 10 + w.updated) },
      spec: {
        replicas: w.replicas,
        selector: { matchLabels: w.labels },
        ...(w.kind === 'StatefulSet' ? { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } } : { strategy: { type: 'RollingUpdate' } }),
        template: { metadata: { labels: w.labels }, spec: { containers: w.containers.map((c) => ({ ...c, imagePullPolicy: 'IfNotPresent' })) } },
      },
      status: {
        observedGeneration: w.observedGeneration,
        replicas: w.updated + w.old,
        updatedReplicas: w.updated,
        readyReplicas: available,
        availableReplicas: available,
        ...(w.kind === 'StatefulSet'
          ? { currentRevision: `${w.name}-${done ? w.revision : w.revision - 1}`, updateRevision: `${w.name}-${w.revision}` }
          : { conditions: [{ type: 'Available', status: available >= w.replicas - 1 ? 'True' : 'False', reason: 'MinimumReplicasAvailable' }, progressing] }),
      },
    };
  }

  private pods(w: FakeWorkload) {
    // How often the new pods were listed: their waiting reason moves from ErrImagePull to ImagePullBackOff.
    const polls = (this.podPolls.get(w.name) ?? 0) + (w.updated > 0 ? 1 : 0);
    this.podPolls.set(w.name, polls);
    const failing = w.containers.some((c) => this.failingImages.has(c.image));
    const pod = (name: string, ready: boolean, waiting?: { reason: string; message: string }) => ({
      metadata: { name, namespace: w.namespace, labels: w.labels },
      status: {
        phase: ready ? 'Running' : 'Pending',
        containerStatuses: w.containers.map((c) => ({ name: c.name, image: c.image, ready, state: waiting ? { waiting } : ready ? { running: { startedAt: '2026-12-02T06:00:00Z' } } : { waiting: { reason: 'ContainerCreating' } } })),
      },
    });
    const items = [];
    for (let i = 0; i < w.old; i++) items.push(pod(`${w.name}-${w.revision - 1}-old${i}`, true));
    for (let i = 0; i < w.updated; i++) {
      const image = w.containers.find((c) => this.failingImages.has(c.image))?.image ?? '';
      // kubelet: the pull fails (ErrImagePull), then it backs off between attempts (ImagePullBackOff).
      const waiting = failing
        ? polls <= 1
          ? { reason: 'ErrImagePull', message: `failed to pull and unpack image "${image}": not found` }
          : { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` }
        : undefined;
      items.push(pod(`${w.name}-${w.revision}-new${i}`, !failing && i < w.availableNew, waiting));
    }
    return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '1' }, items };
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://x');
    const contentType = req.headers['content-type'];
    const socket = req.socket as Partial<TLSSocket>;
    const certUser = socket.authorized ? String(socket.getPeerCertificate?.().subject?.CN ?? '') : undefined;
    const auth = req.headers.authorization === `Bearer ${this.token}` || !!certUser;
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, contentType, auth, certUser, ...(body ? { body } : {}) });
    const send = (code: number, json: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const status = (code: number, reason: string, message: string, details?: unknown) =>
      send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
    if (!auth) return status(401, 'Unauthorized', 'Unauthorized');

    const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (pods && req.method === 'GET') {
      const want = Object.fromEntries((url.searchParams.get('labelSelector') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
      const match = [...this.workloads.values()].find((w) => w.namespace === pods[1] && Object.entries(want).every(([k, v]) => w.labels[k] === v));
      return send(200, match ? this.pods(match) : { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [] });
    }
    const m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments|statefulsets)\/([^/]+)$/.exec(url.pathname);
    if (!m) return status(404, 'NotFound', 'the server could not find the requested resource');
    const kind = m[2] === 'deployments' ? 'Deployment' : 'StatefulSet';
    const name = decodeURIComponent(m[3]!);
    const w = this.workloads.get(this.key(kind, decodeURIComponent(m[1]!), name));
    if (!w) return status(404, 'NotFound', `${m[2]}.apps "${name}" not found`, { name, group: 'apps', kind: m[2] });
    if (req.method === 'GET') {
      this.step(w);
      return send(200, this.wire(w));
    }
    if (req.method !== 'PATCH') return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (contentType !== 'application/strategic-merge-patch+json') {
      return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
    }
    let patch: { spec?: { template?: { spec?: { containers?: { name: string; image?: string }[] } } } };
    try {
      patch = JSON.parse(body) as typeof patch;
    } catch {
      return status(400, 'BadRequest', 'error decoding patch: invalid character');
    }
    let changed = false;
    for (const c of patch.spec?.template?.spec?.containers ?? []) {
      const cur = w.containers.find((x) => x.name === c.name);
      if (!cur) {
        w.containers.push({ name: c.name, image: c.image ?? '' });
        changed = true;
      } else if (c.image !== undefined && c.image !== cur.image) {
        cur.image = c.image;
        changed = true;
      }
    }
    if (changed) {
      // A new pod template: a new ReplicaSet/revision; every running pod now belongs to the old one.
      w.generation++;
      w.revision++;
      w.old = w.updated;
      w.updated = 0;
      w.availableNew = 0;
      w.stuckPolls = 0;
      w.deadlineExceeded = false;
      this.podPolls.delete(w.name);
    }
    return send(200, this.wire(w));
  }

  async start(tls?: FakeTls): Promise<void> {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => this.handle(req, res, body));
    };
    // requestCert without rejectUnauthorized: a request without a certificate may still carry a token.
    this.server = tls ? createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, onRequest) : createServer(onRequest);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
