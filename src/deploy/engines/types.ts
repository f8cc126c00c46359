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

/**
 * A run that exists only once an asynchronous trigger has answered (a pipeline created, a build queued):
 * a cancel or detach asked meanwhile is applied as soon as the follower exists. `trigger` resolves to the
 * follower, or to the result when triggering itself failed.
 */
export function triggeredRun(trigger: () => Promise<EngineRun | EngineResult>): EngineRun {
  let cancelled = false;
  let detached = false;
  let run: EngineRun | undefined;
  const done = (async (): Promise<EngineResult> => {
    const r = await trigger();
    if (!('done' in r)) return r;
    run = r;
    if (cancelled) run.cancel();
    if (detached) run.detach?.();
    return run.done;
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      run?.cancel();
    },
    detach() {
      detached = true;
      run?.detach?.();
    },
  };
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

/** What the runner and the queue may do with an engine's runs, declared by the engine (never inferred from its name). */
export interface EngineCapabilities {
  /** A run can be let go without stopping it (shutdown, a lost claim) and picked up again with `resume`. */
  detachable: boolean;
  /** A running deploy can be cancelled. */
  cancellable: boolean;
  /** The run lives outside opsbot (a pipeline): another replica may re-attach to it when this one dies. */
  followsExternalRun: boolean;
}

/** What an engine's factory gets. */
export interface EngineFactoryDeps {
  /** The `deploy:` section (timeouts, poll intervals, cancel grace). */
  config: import('../config.ts').DeployConfig;
  events: import('../../core/events.ts').EventBus;
  clock: () => number;
  /** Services of the features set up before the deploy feature (the GitLab client, say). */
  services: import('../../core/feature.ts').ServiceLookup;
}

/**
 * One deploy engine, declared once (issue 14 §3): the config union (`engine.type`), the plan, the
 * runner's detach-or-cancel choice and the queue's re-attach all derive from this declaration.
 * Adding an engine: one file in src/deploy/engines/ and one entry in engines/index.ts.
 */
export interface EngineDeclaration<T extends string = string, S extends import('zod').ZodType = import('zod').ZodType> {
  type: T;
  /** The `engine:` object of an environment with this type (a zod strict object with `type: z.literal(T)`). */
  configSchema: S;
  capabilities: EngineCapabilities;
  create(deps: EngineFactoryDeps): Engine;
  /** Checks that need the rest of the product's config; `at` is the YAML path of the `engine:` object. */
  problems?(engine: import('zod').infer<S>, product: { gitlabProject?: string | undefined; components?: readonly string[] }, at: string): { path: string; message: string; hint?: string }[];
}

export const defineEngine = <T extends string, S extends import('zod').ZodType>(d: EngineDeclaration<T, S>): EngineDeclaration<T, S> => d;
