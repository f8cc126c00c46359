/** A run this replica follows: its timeout, whether it was let go, and when it ended. */
import type { Logger } from 'pino';
import type { EngineResult, EngineRun } from './engines/types.ts';

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
