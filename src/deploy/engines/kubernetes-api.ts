/**
 * The few Kubernetes API calls the `kubernetes` engine makes, as plain HTTP over undici
 * (alerting-and-engines.md §4; Kubernetes API reference: Deployment v1 apps, StatefulSet v1 apps,
 * Pod v1 core, Status v1 meta; "API Concepts" for PATCH content types):
 * - `GET  /apis/apps/v1/namespaces/<ns>/{deployments|statefulsets}/<name>`
 * - `PATCH` the same path, `Content-Type: application/strategic-merge-patch+json`, with only the
 *   container whose image changes: strategic merge patch merges `containers` by `name` (the list's
 *   patchMergeKey), so the other containers are left alone (what `kubectl set image` sends);
 * - `GET  /api/v1/namespaces/<ns>/pods?labelSelector=<the workload's spec.selector.matchLabels>`.
 * Errors come back as a `Status` object (`{kind: "Status", code, reason, message}`), whose message is kept.
 * The bearer token and the client key go only into the request (header / TLS handshake), never into a message.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { patternRedactor } from '../../core/redact.ts';
import type { KubeConnection } from './kubeconfig.ts';

export type WorkloadKind = 'Deployment' | 'StatefulSet';

/** The fields of a Deployment / StatefulSet that setting an image and following its rollout read. */
export interface Workload {
  kind: WorkloadKind;
  name: string;
  generation: number;
  /** spec.replicas (the API defaults it to 1). */
  replicas: number;
  containers: { name: string; image: string }[];
  selector: Record<string, string>;
  /** StatefulSet: spec.updateStrategy. */
  updateStrategy?: { type: string; partition?: number | undefined } | undefined;
  status: {
    observedGeneration?: number | undefined;
    replicas: number;
    updatedReplicas: number;
    availableReplicas: number;
    readyReplicas: number;
    currentRevision?: string | undefined;
    updateRevision?: string | undefined;
    conditions: { type: string; status: string; reason?: string | undefined; message?: string | undefined }[];
  };
}

/** A container of a pod that is not running, and why (`state.waiting.reason`). */
export interface WaitingContainer {
  pod: string;
  container: string;
  reason: string;
  message?: string | undefined;
}

export class KubernetesHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubernetesHttpError';
  }
}

export interface KubernetesApi {
  get(kind: WorkloadKind, namespace: string, name: string): Promise<Workload>;
  setImage(kind: WorkloadKind, namespace: string, name: string, container: string, image: string): Promise<Workload>;
  waitingContainers(namespace: string, selector: Record<string, string>): Promise<WaitingContainer[]>;
  close(): Promise<void>;
}

const n0 = z.number().nullish().transform((v) => v ?? 0);
const workloadWire = z.object({
  metadata: z.object({ name: z.string(), generation: n0 }),
  spec: z.object({
    replicas: z.number().nullish(),
    selector: z.object({ matchLabels: z.record(z.string(), z.string()).nullish() }).nullish(),
    updateStrategy: z.object({ type: z.string().nullish(), rollingUpdate: z.object({ partition: z.number().nullish() }).nullish() }).nullish(),
    template: z.object({ spec: z.object({ containers: z.array(z.object({ name: z.string(), image: z.string().nullish() })) }) }),
  }),
  status: z
    .object({
      observedGeneration: z.number().nullish(),
      replicas: n0,
      updatedReplicas: n0,
      availableReplicas: n0,
      readyReplicas: n0,
      currentRevision: z.string().nullish(),
      updateRevision: z.string().nullish(),
      conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().nullish(), message: z.string().nullish() })).nullish(),
    })
    .nullish(),
});
const podListWire = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      status: z
        .object({
          containerStatuses: z
            .array(z.object({ name: z.string(), state: z.object({ waiting: z.object({ reason: z.string().nullish(), message: z.string().nullish() }).nullish() }).nullish() }))
            .nullish(),
          initContainerStatuses: z
            .array(z.object({ name: z.string(), state: z.object({ waiting: z.object({ reason: z.string().nullish(), message: z.string().nullish() }).nullish() }).nullish() }))
            .nullish(),
        })
        .nullish(),
    }),
  ),
});
const statusWire = z.object({ kind: z.literal('Status'), message: z.string().nullish(), reason: z.string().nullish() });

function toWorkload(kind: WorkloadKind, raw: unknown): Workload {
  const p = workloadWire.safeParse(raw);
  if (!p.success) throw new KubernetesHttpError(200, `kubernetes: unexpected ${kind} shape at ${p.error.issues[0]?.path.join('.') ?? '?'}`);
  const w = p.data;
  const s = w.status;
  const strategy = w.spec.updateStrategy;
  return {
    kind,
    name: w.metadata.name,
    generation: w.metadata.generation,
    replicas: w.spec.replicas ?? 1,
    containers: w.spec.template.spec.containers.map((c) => ({ name: c.name, image: c.image ?? '' })),
    selector: w.spec.selector?.matchLabels ?? {},
    ...(kind === 'StatefulSet' ? { updateStrategy: { type: strategy?.type ?? 'RollingUpdate', partition: strategy?.rollingUpdate?.partition ?? undefined } } : {}),
    status: {
      observedGeneration: s?.observedGeneration ?? undefined,
      replicas: s?.replicas ?? 0,
      updatedReplicas: s?.updatedReplicas ?? 0,
      availableReplicas: s?.availableReplicas ?? 0,
      readyReplicas: s?.readyReplicas ?? 0,
      currentRevision: s?.currentRevision ?? undefined,
      updateRevision: s?.updateRevision ?? undefined,
      conditions: (s?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? undefined, message: c.message ?? undefined })),
    },
  };
}

const resource = (kind: WorkloadKind) => (kind === 'Deployment' ? 'deployments' : 'statefulsets');
export const workloadPath = (kind: WorkloadKind, ns: string, name: string) =>
  `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${resource(kind)}/${encodeURIComponent(name)}`;

export function createKubernetesApi(conn: KubeConnection, o: { timeoutMs?: number } = {}): KubernetesApi {
  const timeoutMs = o.timeoutMs ?? 10_000;
  // Client certificates and a private CA go into the TLS handshake through the Agent's connect options.
  const dispatcher = new Agent({
    connect: {
      ...(conn.ca ? { ca: conn.ca } : {}),
      ...(conn.cert && conn.key ? { cert: conn.cert, key: conn.key } : {}),
      ...(conn.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
    },
  });
  let secrets: string[] = conn.token ? [conn.token] : [];
  const clean = (s: string) => patternRedactor.with(secrets).text(s.length > 300 ? `${s.slice(0, 300)}…` : s);

  const token = async (): Promise<string | undefined> => {
    if (conn.token) return conn.token;
    if (!conn.tokenFile) return undefined;
    try {
      const t = (await readFile(conn.tokenFile, 'utf8')).trim();
      if (!secrets.includes(t)) secrets = [...secrets, t];
      return t;
    } catch (err) {
      throw new KubernetesHttpError(401, `kubernetes: cannot read the token file ${conn.tokenFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };

  async function call(method: 'GET' | 'PATCH', path: string, what: string, body?: unknown): Promise<unknown> {
    const t = await token();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (t) headers.authorization = `Bearer ${t}`;
    if (body !== undefined) headers['content-type'] = 'application/strategic-merge-patch+json';
    let res;
    try {
      res = await request(conn.server + path, {
        method,
        headers,
        dispatcher,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new KubernetesHttpError(504, `kubernetes: no answer within ${timeoutMs} ms (${what})`);
      throw new KubernetesHttpError(502, clean(`kubernetes: cannot reach ${conn.server} (${(err as Error).message}) via ${conn.source}`));
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.statusCode >= 400) {
      const st = statusWire.safeParse(json);
      const detail = st.success && st.data.message ? st.data.message : text.trim().slice(0, 200);
      const hint =
        res.statusCode === 401
          ? ` (the credentials of ${conn.source} were refused)`
          : res.statusCode === 403
            ? ' (RBAC: opsbot needs get and patch on the workload and list on pods in the namespace)'
            : '';
      throw new KubernetesHttpError(res.statusCode, clean(`kubernetes: ${what}: HTTP ${res.statusCode}${hint}${detail ? `: ${detail}` : ''}`));
    }
    if (json === undefined) throw new KubernetesHttpError(res.statusCode, `kubernetes: ${what}: the answer is not JSON`);
    return json;
  }

  return {
    async get(kind, ns, name) {
      return toWorkload(kind, await call('GET', workloadPath(kind, ns, name), `get ${kind.toLowerCase()}/${name} in ${ns}`));
    },
    async setImage(kind, ns, name, container, image) {
      const patch = { spec: { template: { spec: { containers: [{ name: container, image }] } } } };
      return toWorkload(kind, await call('PATCH', workloadPath(kind, ns, name), `patch ${kind.toLowerCase()}/${name} in ${ns}`, patch));
    },
    async waitingContainers(ns, selector) {
      const labelSelector = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      const p = podListWire.safeParse(await call('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods${q}`, `list pods in ${ns}`));
      if (!p.success) throw new KubernetesHttpError(200, 'kubernetes: unexpected PodList shape');
      const out: WaitingContainer[] = [];
      for (const pod of p.data.items) {
        for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
          const w = c.state?.waiting;
          if (w?.reason) out.push({ pod: pod.metadata.name, container: c.name, reason: w.reason, message: w.message ?? undefined });
        }
      }
      return out;
    },
    close: () => dispatcher.close(),
  };
}
