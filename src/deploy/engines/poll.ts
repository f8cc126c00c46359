/**
 * The poll loop of the engines that follow a remote run (Jenkins builds, Kubernetes rollouts): one step
 * at a time, never overlapping; the next comes after `minMs` when the step saw progress, else the gap
 * grows ×1.5 up to `maxMs` (a slow build is not polled every second for an hour). A step that throws is
 * the engine's to judge (`onError`): transient trouble (a restarting server, a proxy) keeps polling, and
 * the task timeout bounds it.
 */
export interface PollLoop {
  /** No further step (an ended, cancelled or detached run). */
  stop(): void;
}

export function startPolling(o: {
  /** One look at the remote run; true when it moved (a new stage, a log line, a replica). */
  step: () => Promise<boolean>;
  /** Whether the run is over (checked before and after each step). */
  over: () => boolean;
  onError: (err: unknown) => void;
  minMs: number;
  maxMs: number;
}): PollLoop {
  let timer: NodeJS.Timeout | undefined;
  let interval = o.minMs;
  let stopped = false;
  const poll = async (): Promise<void> => {
    timer = undefined;
    if (stopped || o.over()) return;
    let moved = false;
    try {
      moved = await o.step();
    } catch (err) {
      o.onError(err);
    }
    if (stopped || o.over()) return;
    interval = moved ? o.minMs : Math.min(Math.round(interval * 1.5), o.maxMs);
    timer = setTimeout(() => void poll(), interval);
  };
  timer = setTimeout(() => void poll(), 0);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
