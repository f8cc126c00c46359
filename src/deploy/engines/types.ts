/** The seam between the task runner and the things that actually deploy (issue 4 §4). */
import type { EnvironmentConfig, ProductConfig } from '../config.ts';
import type { DeployTask, EngineRef } from '../tasks.ts';

/** How an engine run ended. The runner turns a cancel it asked for because of a timeout into `failed`. */
export interface EngineResult {
  outcome: 'succeeded' | 'failed' | 'cancelled';
  reason?: string;
}

export interface EngineHooks {
  /** Log lines, already timestamped by the engine. */
  log(lines: string[]): void;
  /** Persist the engine's handle (pipeline id) so a restart can re-attach. */
  setRef(ref: EngineRef): Promise<void>;
}

export interface EngineRun {
  done: Promise<EngineResult>;
  cancel(): void;
  /** Stop following without touching the deploy (shutdown; a restart re-attaches). */
  detach?(): void;
}

export interface EngineContext {
  task: DeployTask;
  product: ProductConfig;
  environment: EnvironmentConfig;
  hooks: EngineHooks;
}

export interface Engine {
  start(ctx: EngineContext): EngineRun;
  /** Re-attach to a task that was running before a restart; undefined when this engine cannot. */
  resume?(ctx: EngineContext): EngineRun | undefined;
}

/** The OPSBOT_* variables every engine passes (issue 4 §4). */
export function deployVariables(task: DeployTask, envName: (component: string) => string): Record<string, string> {
  const vars: Record<string, string> = {
    OPSBOT_PRODUCT: task.product,
    OPSBOT_RELEASE: task.release,
    OPSBOT_ENV: task.env,
    OPSBOT_TASK_ID: task.id,
  };
  for (const [component, version] of Object.entries(task.components)) vars[`OPSBOT_VERSION_${envName(component)}`] = version;
  return vars;
}
