/**
 * Whether a rollout is done, decided exactly as `kubectl rollout status` decides it
 * (kubernetes/kubectl `pkg/polymorphichelpers/rollout_status.go`, DeploymentStatusViewer and
 * StatefulSetStatusViewer; alerting-and-engines.md §4). Pure, so each rule is tested on its own.
 */
import type { WaitingContainer, Workload } from './kubernetes-api.ts';

export type RolloutState = { done: false; failed?: false; message: string } | { done: true; failed: boolean; message: string };

/** Deployment: the DeploymentStatusViewer rules, in their order. */
function deploymentStatus(w: Workload): RolloutState {
  const s = w.status;
  const ref = `deployment/${w.name}`;
  // Nothing below means anything until the controller has seen the current spec.
  if (s.observedGeneration === undefined || w.generation > s.observedGeneration) {
    return { done: false, message: `${ref}: waiting for the deployment spec update to be observed (generation ${w.generation}, observed ${s.observedGeneration ?? 'none'})` };
  }
  const progressing = s.conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: true, failed: true, message: `${ref} exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}` };
  }
  if (s.updatedReplicas < w.replicas) {
    return { done: false, message: `${ref}: ${s.updatedReplicas} of ${w.replicas} new replicas updated` };
  }
  if (s.replicas > s.updatedReplicas) {
    return { done: false, message: `${ref}: ${s.replicas - s.updatedReplicas} old replicas pending termination` };
  }
  if (s.availableReplicas < s.updatedReplicas) {
    return { done: false, message: `${ref}: ${s.availableReplicas} of ${s.updatedReplicas} updated replicas available` };
  }
  return { done: true, failed: false, message: `${ref} successfully rolled out` };
}

/** StatefulSet: the StatefulSetStatusViewer rules (RollingUpdate only; partitions honoured). */
function statefulSetStatus(w: Workload): RolloutState {
  const s = w.status;
  const ref = `statefulset/${w.name}`;
  if (w.updateStrategy && w.updateStrategy.type !== 'RollingUpdate') {
    // kubectl: "rollout status is only available for RollingUpdate strategy type"; OnDelete waits for someone to delete pods.
    return { done: true, failed: true, message: `${ref}: update strategy ${w.updateStrategy.type}: a rollout can only be followed with RollingUpdate` };
  }
  if (!s.observedGeneration || w.generation > s.observedGeneration) {
    return { done: false, message: `${ref}: waiting for the statefulset spec update to be observed` };
  }
  if (s.readyReplicas < w.replicas) {
    return { done: false, message: `${ref}: waiting for ${w.replicas - s.readyReplicas} pods to be ready` };
  }
  const partition = w.updateStrategy?.partition;
  if (partition !== undefined && partition > 0) {
    if (s.updatedReplicas < w.replicas - partition) {
      return { done: false, message: `${ref}: partitioned roll out: ${s.updatedReplicas} of ${w.replicas - partition} new pods updated` };
    }
    return { done: true, failed: false, message: `${ref}: partitioned roll out complete: ${s.updatedReplicas} new pods updated` };
  }
  if (s.updateRevision !== s.currentRevision) {
    return { done: false, message: `${ref}: rolling update: ${s.updatedReplicas} pods at revision ${s.updateRevision ?? '?'}` };
  }
  return { done: true, failed: false, message: `${ref}: rolling update complete, ${s.currentRevision ? `${s.readyReplicas} pods at revision ${s.currentRevision}` : 'all pods ready'}` };
}

export function rolloutStatus(w: Workload): RolloutState {
  return w.kind === 'Deployment' ? deploymentStatus(w) : statefulSetStatus(w);
}

/**
 * `state.waiting.reason` values that mean a container is not going to start by itself soon
 * (kubelet's image puller and container runtime: ErrImagePull → ImagePullBackOff, CrashLoopBackOff,
 * and configuration errors). `ContainerCreating` / `PodInitializing` are normal steps, not reported.
 */
export const FAILING_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'CrashLoopBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export const failingContainers = (all: WaitingContainer[]) => all.filter((c) => FAILING_REASONS.has(c.reason));

/** `registry.local/demo/{component}:{version}` → the image of one component. */
export function renderImage(template: string, component: string, version: string): string {
  return template.replaceAll('{component}', component).replaceAll('{version}', version);
}

/** Problems of an image template (unknown placeholders, no version). */
export function imageTemplateProblems(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(/\{([^}]*)\}/g)) if (m[1] !== 'component' && m[1] !== 'version') out.push(`unknown placeholder {${m[1]}}`);
  if (!template.includes('{version}')) out.push('the image has no {version}: every deploy would set the same image');
  return out;
}
