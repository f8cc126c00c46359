/** What the task runner (runner.ts) is given: storage, the model, the engines, the clock and the hooks. */
import type { Logger } from 'pino';
import type { EventBus } from '../core/events.ts';
import type { Store } from '../store/types.ts';
import type { DeployConfig } from './config.ts';
import type { Engine, EngineCapabilities } from './engines/types.ts';
import type { DeployModel } from './model.ts';
import type { ProgressThrottle } from './progress.ts';
import type { DeployQueue } from './queue.ts';
import type { ReleaseRegistry } from './releases.ts';
import type { DeployTask, TaskRepo } from './tasks.ts';

export interface RunnerDeps {
  repo: TaskRepo;
  store: Store;
  model: DeployModel;
  releases: ReleaseRegistry;
  engines: Record<string, Engine>;
  /** What each engine type's runs allow (engines/index.ts declarations). */
  capabilities(type: string): EngineCapabilities;
  progress: ProgressThrottle;
  events: EventBus;
  log: Logger;
  clock: () => number;
  config: DeployConfig;
  /** Several replicas (postgres): the shared queue schedules instead of pickRunnable (queue.ts). */
  queue?: DeployQueue;
  /** Queue mode: how often abandoned tasks are looked for (default 5000 ms). */
  sweepMs?: number;
  /** Why a task must not start now (a freeze set while it waited), or undefined: it starts. */
  startGate?: ((task: DeployTask) => Promise<string | undefined>) | undefined;
  /** Applied to every task log line before it is stored (core/redact.ts `Redactor.text`). Default: none. */
  redact?: ((line: string) => string) | undefined;
}
