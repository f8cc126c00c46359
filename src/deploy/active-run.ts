/** A run this replica follows: its timeout, whether it was let go, and when it ended; and what its engine sees. */
import type { Logger } from 'pino';
import type { EngineContext, EngineResult, EngineRun } from './engines/types.ts';
import type { DeployModel } from './model.ts';
import type { ProgressThrottle } from './progress.ts';
import type { DeployTask, TaskRepo } from './tasks.ts';

export interface Active {
  run: EngineRun;
  timer?: NodeJS.Timeout | undefined;
  timedOut: boolean;
  detached: boolean;
  /** Resolves when the run has finished or was detached (the queue's claim ends then). */
  ended: Promise<void>;
  end(): void;
}

/** Follow `run`: cancel it after `timeoutMs` (marking it timed out), hand its result to `onDone`. */
export function followRun(o: {
  taskId: string;
  run: EngineRun;
  timeoutMs: number;
  onTimeout(): void;
  onDone(r: EngineResult, a: Active): Promise<void>;
  log: Logger;
}): Active {
  let end = () => {};
  const ended = new Promise<void>((r) => (end = r));
  const a: Active = { run: o.run, timedOut: false, detached: false, ended, end };
  a.timer = setTimeout(() => {
    a.timedOut = true;
    o.onTimeout();
    o.run.cancel();
  }, Math.max(0, o.timeoutMs));
  a.timer.unref();
  o.run.done
    .then(
      (r) => o.onDone(r, a),
      (err: Error) => o.onDone({ outcome: 'failed', reason: err.message }, a),
    )
    // The outcome could not be stored (database gone): the task stays running; the sweep (several
    // replicas) or the next start's recover() announces it. Never an unhandled rejection.
    .catch((err: unknown) => o.log.error({ err, taskId: o.taskId }, 'deploy: recording the outcome failed'));
  return a;
}

/**
 * What an engine sees of its task: the product and environment config (throws when they left the config
 * since the task was queued), a log sink that also nudges the progress card, and where to keep its handle.
 */
export function engineContext(
  task: DeployTask,
  d: { model: DeployModel; repo: TaskRepo; progress: ProgressThrottle; appendLog(id: string, lines: string[]): void },
): EngineContext {
  return {
    task,
    product: d.model.product(task.product),
    environment: d.model.environment(task.product, task.env),
    hooks: {
      log: (lines) => {
        d.appendLog(task.id, lines);
        d.progress.touch(task.id);
      },
      setRef: async (ref) => {
        await d.repo.patch(task.id, (cur) => ({ engineRef: { ...cur.engineRef, ...ref } }));
        if (ref.webUrl) d.progress.touch(task.id);
      },
    },
  };
}
