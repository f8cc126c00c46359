/**
 * The `kubernetes` engine: set the images of the components that change (one strategic-merge PATCH per
 * workload), then follow each rollout the way `kubectl rollout status` does, reporting pods that fail to
 * start (alerting-and-engines.md §4). The rollout belongs to Kubernetes: a cancel, a shutdown or the task
 * timeout only stops following it, and a restart re-attaches to the recorded workloads without patching
 * again. What was patched is recorded in `EngineRef.external`:
 * `id: "rollout:Deployment/component-a@7,StatefulSet/db@3"` (kind/name@generation after the patch),
 * `cursor: 1` once every image was set (0 while patching), `label: "deployment/component-a in demo"`.
 */
import { startPolling, type PollLoop } from './poll.ts';
import { z } from 'zod';
import { patternRedactor } from '../../core/redact.ts';
import { inClusterConnection, loadKubeconfig, type KubeConnection } from './kubeconfig.ts';
import { createKubernetesApi, KubernetesHttpError, type KubernetesApi, type WorkloadKind } from './kubernetes-api.ts';
import { failingContainers, imageTemplateProblems, renderImage, rolloutStatus } from './kubernetes-rollout.ts';
import { defineEngine, triggeredRun, type Engine, type EngineContext, type EngineResult, type EngineRun } from './types.ts';

// RFC 1123 names, as the API server validates them (a namespace is a DNS label, a workload a DNS subdomain).
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const workloadSchema = z.strictObject({
  /** Deployment (default) or StatefulSet. */
  kind: z.enum(['Deployment', 'StatefulSet']).optional(),
  name: z.string().regex(DNS_SUBDOMAIN, { error: 'a Kubernetes object name: lowercase letters, digits, - and .' }),
  /** The container of the pod template whose image is set. */
  container: z.string().min(1, { error: 'must not be empty' }),
});

const configSchema = z.strictObject({
  type: z.literal('kubernetes'),
  /** A kubeconfig file; absent: the pod's service account (in-cluster). */
  kubeconfig: z.string().min(1, { error: 'must not be empty (leave it out for the in-cluster service account)' }).optional(),
  /** A kubeconfig context other than its current-context. */
  context: z.string().min(1).optional(),
  namespace: z.string().regex(DNS_LABEL, { error: 'a namespace name: lowercase letters, digits and -' }),
  /** Image per component: `registry.local/demo/{component}:{version}`. */
  image: z.string().min(1, { error: 'must not be empty, e.g. registry.local/demo/{component}:{version}' }),
  /** Component → the workload and container that run it. Components not listed are not deployed by this engine. */
  workloads: z.record(z.string().min(1), workloadSchema).refine((w) => Object.keys(w).length > 0, { error: 'list at least one component' }),
  /** A page per workload for the card's link, with {namespace}, {kind} (deployment/statefulset), {name}. */
  dashboardUrl: z.string().regex(/^https?:\/\/[^/]/, { error: 'must be an http(s) URL' }).optional(),
});

export type KubernetesEngineConfig = z.infer<typeof configSchema>;

export interface KubernetesEngineOptions {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  clock?: () => number;
  /** How a config reaches its API server (tests); default: the kubeconfig, else the in-cluster service account. */
  connect?: (cfg: KubernetesEngineConfig) => Promise<KubeConnection>;
}

interface Target {
  component: string;
  kind: WorkloadKind;
  name: string;
  container: string;
  image: string;
}
/** A workload opsbot patched, with the generation the patch produced. */
interface Patched {
  kind: WorkloadKind;
  name: string;
  generation: number;
}

const refOf = (w: { kind: WorkloadKind; name: string }) => `${w.kind.toLowerCase()}/${w.name}`;
export const encodePatched = (p: Patched[]) => `rollout:${p.map((w) => `${w.kind}/${w.name}@${w.generation}`).join(',')}`;
export function decodePatched(id: string): Patched[] | undefined {
  if (!id.startsWith('rollout:')) return undefined;
  const body = id.slice('rollout:'.length);
  const out: Patched[] = [];
  for (const part of body ? body.split(',') : []) {
    const m = /^(Deployment|StatefulSet)\/([^@]+)@(\d+)$/.exec(part);
    if (!m) return undefined;
    out.push({ kind: m[1] as WorkloadKind, name: m[2]!, generation: Number(m[3]) });
  }
  return out;
}

export const dashboardLink = (cfg: KubernetesEngineConfig, w: { kind: WorkloadKind; name: string }) =>
  cfg.dashboardUrl?.replaceAll('{namespace}', encodeURIComponent(cfg.namespace)).replaceAll('{kind}', w.kind.toLowerCase()).replaceAll('{name}', encodeURIComponent(w.name));

export function createKubernetesEngine(opts: KubernetesEngineOptions): Engine {
  const clock = opts.clock ?? Date.now;
  const stamp = (line: string) => `${new Date(clock()).toISOString()} ${line}`;
  const connect = opts.connect ?? ((cfg) => (cfg.kubeconfig ? loadKubeconfig(cfg.kubeconfig, cfg.context) : inClusterConnection()));

  const configOf = (ctx: EngineContext): KubernetesEngineConfig | undefined => {
    const cfg = ctx.environment.engine as KubernetesEngineConfig | { type: string };
    return cfg.type === 'kubernetes' ? (cfg as KubernetesEngineConfig) : undefined;
  };

  /** The workloads of the task's components, in config order; components without one are logged and left out. */
  const targetsOf = (ctx: EngineContext, cfg: KubernetesEngineConfig, log: (l: string) => void): Target[] =>
    Object.entries(ctx.task.components).flatMap(([component, version]) => {
      const w = cfg.workloads[component];
      if (!w) {
        log(`${component}: no workload in engine.workloads, not deployed by this engine`);
        return [];
      }
      return [{ component, kind: w.kind ?? 'Deployment', name: w.name, container: w.container, image: renderImage(cfg.image, component, version) }];
    });

  /** Record the handle: what was patched, whether patching is over, the label and link for the card. */
  const record = async (ctx: EngineContext, cfg: KubernetesEngineConfig, targets: Target[], patched: Patched[], complete: boolean) => {
    const shown = patched.length ? patched : targets;
    const label = `${shown.map(refOf).join(', ')} in ${cfg.namespace}`;
    const url = shown[0] ? dashboardLink(cfg, shown[0]) : undefined;
    await ctx.hooks.setRef({ external: { id: encodePatched(patched), cursor: complete ? 1 : 0, label, ...(url ? { url } : {}) }, ...(url ? { webUrl: url } : {}) });
  };

  /**
   * Set the images that differ from the live ones, one PATCH per workload, recording each at once. The
   * live image decides, so a workload already patched (recorded or not, before a restart) is never patched twice.
   */
  async function applyImages(ctx: EngineContext, cfg: KubernetesEngineConfig, api: KubernetesApi, targets: Target[], patched: Patched[], log: (l: string) => void): Promise<Patched[]> {
    const unchanged: Patched[] = [];
    for (const t of targets) {
      if (patched.some((p) => p.kind === t.kind && p.name === t.name)) continue;
      const live = await api.get(t.kind, cfg.namespace, t.name);
      const c = live.containers.find((x) => x.name === t.container);
      if (!c) throw new KubernetesHttpError(422, `${refOf(t)} in ${cfg.namespace} has no container ${t.container} (containers: ${live.containers.map((x) => x.name).join(', ')}; check engine.workloads.${t.component}.container)`);
      if (c.image === t.image) {
        // Not patched, but its rollout is still checked: one to this image may be in progress or crash-looping
        // (a re-deploy, a restart after an unrecorded PATCH), and "succeeded" must be the cluster's word.
        unchanged.push({ kind: t.kind, name: t.name, generation: live.generation });
        log(`${t.component}: ${refOf(t)} already runs ${t.image}, not patched`);
        continue;
      }
      const after = await api.setImage(t.kind, cfg.namespace, t.name, t.container, t.image);
      patched.push({ kind: t.kind, name: t.name, generation: after.generation });
      await record(ctx, cfg, targets, patched, false);
      log(`${t.component}: set ${refOf(t)} container ${t.container} image ${c.image} → ${t.image} (generation ${after.generation})`);
    }
    await record(ctx, cfg, targets, patched, true);
    return unchanged;
  }

  /** Follow the rollouts of `patched` until all are done, one fails, or the follower is cancelled or detached. */
  function follow(ctx: EngineContext, cfg: KubernetesEngineConfig, api: KubernetesApi, patched: Patched[], log: (l: string) => void): EngineRun {
    let finish!: (r: EngineResult) => void;
    const done = new Promise<EngineResult>((r) => (finish = r));
    let over = false;
    let loop: PollLoop | undefined;
    const pending = new Map(patched.map((p) => [refOf(p), p]));
    const lastMessage = new Map<string, string>();
    const reported = new Set<string>();
    const newer = new Set<string>();
    let lastError = '';

    const end = (r: EngineResult) => {
      if (over) return;
      over = true;
      loop?.stop();
      void api.close();
      finish(r);
    };

    async function step(): Promise<boolean> {
      let moved = false;
      for (const [ref, p] of pending) {
        const w = await api.get(p.kind, cfg.namespace, p.name);
        if (over) return false;
        if (w.generation > p.generation && !newer.has(ref)) {
          // Someone changed the workload again: like kubectl, follow the latest revision, and say so.
          newer.add(ref);
          log(`${ref}: generation ${w.generation} is newer than the ${p.generation} opsbot set: following the latest rollout`);
        }
        const st = rolloutStatus(w);
        if (st.message !== lastMessage.get(ref)) {
          lastMessage.set(ref, st.message);
          log(st.message);
          moved = true;
        }
        if (st.done) {
          if (st.failed) {
            end({ outcome: 'failed', reason: st.message });
            return false;
          }
          pending.delete(ref);
          continue;
        }
        for (const c of failingContainers(await api.waitingContainers(cfg.namespace, w.selector))) {
          const key = `${c.pod}/${c.container}/${c.reason}`;
          if (reported.has(key) || over) continue;
          reported.add(key);
          log(`${ref}: pod ${c.pod} container ${c.container}: ${c.reason}${c.message ? `: ${c.message}` : ''}`);
          moved = true;
        }
      }
      if (!pending.size) end({ outcome: 'succeeded' });
      return moved;
    }

    loop = startPolling({
      step: async () => {
        const moved = await step();
        lastError = '';
        return moved;
      },
      over: () => over,
      onError: (err) => {
        const message = (err as Error).message;
        if (err instanceof KubernetesHttpError && err.status === 404) return end({ outcome: 'failed', reason: message });
        // Transient trouble (API server restarting, a proxy) does not fail a deploy; the task timeout bounds it.
        if (message !== lastError) log(`poll failed: ${message}`);
        lastError = message;
      },
      minMs: opts.pollIntervalMs,
      maxMs: opts.maxPollIntervalMs,
    });

    return {
      done,
      cancel() {
        if (over) return;
        log(`cancel: stopped following ${[...pending.keys()].join(', ')} in ${cfg.namespace}; Kubernetes finishes or undoes the rollout itself (/rollback deploys the previous release)`);
        end({ outcome: 'cancelled', reason: 'stopped following the rollout' });
      },
      detach() {
        over = true;
        loop?.stop();
        void api.close();
      },
    };
  }

  /** Connect, set the images still to set, then follow. Shared by start (nothing patched yet) and resume. */
  function run(ctx: EngineContext, cfg: KubernetesEngineConfig, patched: Patched[], complete: boolean): EngineRun {
    let secrets: string[] = [];
    const log = (line: string) => ctx.hooks.log([stamp(patternRedactor.with(secrets).text(line))]);
    return triggeredRun(async () => {
      let api: KubernetesApi;
      try {
        const conn = await connect(cfg);
        secrets = conn.token ? [conn.token] : [];
        api = createKubernetesApi(conn);
      } catch (err) {
        return { outcome: 'failed', reason: (err as Error).message };
      }
      const targets = targetsOf(ctx, cfg, complete ? () => {} : log);
      let unchanged: Patched[] = [];
      try {
        if (!complete) unchanged = await applyImages(ctx, cfg, api, targets, patched, log);
      } catch (err) {
        await api.close();
        return { outcome: 'failed', reason: patternRedactor.with(secrets).text((err as Error).message) };
      }
      if (!patched.length && !unchanged.length) {
        await api.close();
        log('nothing to roll out: no workload of the release is configured');
        return { outcome: 'succeeded' };
      }
      return follow(ctx, cfg, api, [...patched, ...unchanged], log);
    });
  }

  return {
    start(ctx) {
      const cfg = configOf(ctx);
      if (!cfg) return { done: Promise.resolve({ outcome: 'failed', reason: 'the environment is no longer a kubernetes one' }), cancel() {} };
      return run(ctx, cfg, [], false);
    },
    resume(ctx) {
      const cfg = configOf(ctx);
      const ext = ctx.task.engineRef?.external;
      const patched = ext ? decodePatched(ext.id) : undefined;
      if (!cfg || !ext || !patched) return undefined; // nothing recorded: interrupted, never started again
      const complete = ext.cursor === 1;
      ctx.hooks.log([stamp(`re-attached to ${patched.length ? patched.map(refOf).join(', ') : 'the rollout'} in ${cfg.namespace} after restart${complete ? '' : '; setting the images not set yet'}`)]);
      return run(ctx, cfg, patched, complete);
    },
  };
}

/** `type: kubernetes`: set images on Deployments/StatefulSets and follow the rollout (alerting-and-engines.md §4). */
export const kubernetesEngine = defineEngine({
  type: 'kubernetes',
  configSchema,
  // The rollout runs on the cluster: shutdown only stops following it, and any replica can re-attach.
  capabilities: { detachable: true, cancellable: true, followsExternalRun: true },
  problems: (engine, product, at) => [
    ...imageTemplateProblems(engine.image).map((message) => ({ path: `${at}.image`, message, hint: 'placeholders: {component}, {version}' })),
    ...Object.keys(engine.workloads)
      .filter((c) => product.components && !product.components.includes(c))
      .map((c) => ({ path: `${at}.workloads.${c}`, message: `${c} is not a component of the product`, hint: `components: ${(product.components ?? []).join(', ')}` })),
  ],
  create: ({ config, clock }) => createKubernetesEngine({ pollIntervalMs: config.pollIntervalMs, maxPollIntervalMs: config.maxPollIntervalMs, clock }),
});
