/**
 * Persisted deploy tasks (collection `tasks`, ids from `nextSequence('task')`) and the pure
 * scheduling rule (issue 4 §3): one running task per product+environment, tasks of one
 * product+environment start in order, and at most `concurrency` run in total.
 */
import type { EngineType } from './engines/index.ts';
import type { Collection, Store } from '../store/types.ts';

export type TaskState = 'waiting' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
export const TERMINAL_STATES: readonly TaskState[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];
export const isTerminal = (s: TaskState): boolean => TERMINAL_STATES.includes(s);

/** The engine's handle on a task that survives restarts (GitLab: the pipeline). */
export interface EngineRef {
  pipelineId?: number;
  project?: string;
  webUrl?: string;
  pid?: number;
  /**
   * A run on another system, in the engine's own terms (Jenkins: `queue:<id>`, then `build:<n>`);
   * `url` its page; `cursor` how far its log was copied into the task log (a re-attach goes on from there);
   * `label` what the card names as the deploy's target (`deployment/component-a in demo`).
   */
  external?: { id: string; url?: string; cursor?: number; label?: string };
}

export interface DeployTask {
  id: string;
  product: string;
  release: string;
  env: string;
  kind: 'deploy' | 'rollback';
  state: TaskState;
  /** Component versions the task deploys (pinned when the task is created). */
  components: Record<string, string>;
  /** What ran on the environment when the task was created. */
  previousRelease?: string;
  requestedBy: { id: string; name: string };
  /** An admin overrode a freeze when asking: a freeze at start does not stop it. */
  freezeOverride?: boolean;
  chat: string;
  /** The chat message (or click) that asked for it: the idempotency key with `chat`. */
  messageId?: string;
  engine: EngineType;
  engineRef?: EngineRef;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Why it failed / was cancelled / interrupted (`timeout`, `exit code 1`, `restart`, …). */
  reason?: string;
  cancelledBy?: string;
  /** Two-person rule (issue 4 §5): set when the environment lists `approvers`; the task waits until approved. */
  approval?: { approvers: string[]; approvedBy?: string };
}

/** True while a task waits for its second person. */
export const awaitingApproval = (t: Pick<DeployTask, 'approval'>): boolean => !!t.approval && !t.approval.approvedBy;

/** Task persistence with the idempotency index (collection `task-keys`: `chat|messageId` → task id). */
export class TaskRepo {
  readonly tasks: Collection<DeployTask>;
  private readonly keys: Collection<string>;

  constructor(private readonly store: Store) {
    this.tasks = store.collection<DeployTask>('tasks', { tier: 'hot' });
    this.keys = store.collection<string>('task-keys', { tier: 'bulk', maxItems: 10000 });
  }

  /**
   * Create a task unless the same chat message already created one: then that task is returned
   * with `created: false` (a repeated message or a double click does not start a second task).
   */
  async create(input: Omit<DeployTask, 'id' | 'state'>): Promise<{ task: DeployTask; created: boolean }> {
    const key = input.messageId ? `${input.chat}|${input.messageId}` : undefined;
    if (key) {
      const existing = await this.keys.get(key);
      const t = existing ? await this.tasks.get(existing) : undefined;
      if (t) return { task: t, created: false };
    }
    const id = String(await this.store.nextSequence('task'));
    if (key && !(await this.keys.insertIfAbsent(key, id))) {
      // Lost a race with the same message: answer with the winner's task.
      const winner = await this.keys.get(key);
      const t = winner ? await this.tasks.get(winner) : undefined;
      if (t) return { task: t, created: false };
    }
    const task: DeployTask = { ...input, id, state: 'waiting' };
    await this.tasks.put(id, task);
    return { task, created: true };
  }

  get(id: string): Promise<DeployTask | undefined> {
    return this.tasks.get(id);
  }

  /** Apply a patch; returns the stored task. */
  async patch(id: string, fn: (t: DeployTask) => Partial<DeployTask>): Promise<DeployTask | undefined> {
    return this.tasks.update(id, (cur) => (cur ? { ...cur, ...fn(cur) } : cur));
  }

  /** Newest first. */
  list(filter?: (t: DeployTask) => boolean, limit?: number): Promise<DeployTask[]> {
    return this.tasks.list({ newestFirst: true, ...(filter ? { filter } : {}), ...(limit !== undefined ? { limit } : {}) });
  }
}

export const laneOf = (t: Pick<DeployTask, 'product' | 'env'>): string => `${t.product}/${t.env}`;

/**
 * Which waiting tasks may start now. `waiting` must be in creation order. A waiting task blocks
 * later ones of its lane even if it cannot start itself (order within a lane is preserved).
 */
export function pickRunnable(waiting: DeployTask[], running: DeployTask[], concurrency: number): DeployTask[] {
  const busy = new Set(running.map(laneOf));
  let slots = concurrency - running.length;
  const out: DeployTask[] = [];
  for (const t of waiting) {
    if (slots <= 0) break;
    const lane = laneOf(t);
    if (busy.has(lane)) continue;
    busy.add(lane);
    // Unapproved: holds its lane (order is kept) but takes no global slot.
    if (awaitingApproval(t)) continue;
    out.push(t);
    slots--;
  }
  return out;
}

/** Numeric id order (ids are a sequence; string order would put 10 before 9). */
export const byId = (a: DeployTask, b: DeployTask): number => Number(a.id) - Number(b.id);

declare module '../core/events.ts' {
  interface EventMap {
    /** A deploy task reached a final state (runner.ts): succeeded, failed, cancelled or interrupted. */
    'deploy.finished': DeployTask;
  }
}
