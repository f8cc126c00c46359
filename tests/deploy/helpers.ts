/** Shared fixtures for deploy tests: services on a MemoryStore, a capturing outbox, a controllable engine. */
import { pino } from 'pino';
import type { Config } from '../../src/config/schema.ts';
import { EventBus } from '../../src/core/events.ts';
import type { OutgoingMessage } from '../../src/core/message.ts';
import type { CoreDeps } from '../../src/core/services.ts';
import type { ProductsConfig } from '../../src/deploy/config.ts';
import type { Engine, EngineContext, EngineResult } from '../../src/deploy/engines/types.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { lookupOf, provide, type ServiceLookup } from '../../src/core/feature.ts';
import type { GitlabPipelineApi } from '../../src/deploy/engines/gitlab-pipeline.ts';
import { GITLAB, type GitlabService } from '../../src/sources/gitlab/service.ts';

/** The services the GitLab feature would provide, with only the pipeline calls the engine makes. */
export const withGitlab = (api: GitlabPipelineApi): ServiceLookup => lookupOf(provide(GITLAB, { api } as unknown as GitlabService));

export const SCRIPT = new URL('../../scripts/deploy-demo.sh', import.meta.url).pathname;

export function demoProducts(run: string[] = [SCRIPT], extraEnv: Record<string, string> = { DEPLOY_SLEEP: '0' }): ProductsConfig {
  return {
    demo: {
      gitlabProject: 'group/demo',
      components: ['component-a', 'component-b'],
      releases: {
        'v1.0.0': { 'component-a': 'v1.0.0', 'component-b': 'v1.0.0' },
        'v1.1.0': { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' },
      },
      environments: {
        'env-1': { engine: { type: 'command', run, env: extraEnv } },
        'env-2': { engine: { type: 'command', run, env: extraEnv } },
        'env-3': { engine: { type: 'command', run, env: extraEnv } },
        prod: { protected: true, engine: { type: 'gitlab-pipeline', ref: 'main' } },
      },
    },
  };
}

export interface Harness {
  services: CoreDeps;
  store: MemoryStore;
  sent: OutgoingMessage[];
  events: EventBus;
}

export function harness(products: ProductsConfig = demoProducts(), store = new MemoryStore()): Harness {
  const sent: OutgoingMessage[] = [];
  const events = new EventBus();
  const services = {
    config: { products, deploy: {} } as unknown as Config,
    store,
    events,
    outbox: { send: async (m: OutgoingMessage) => void sent.push(m) },
    log: pino({ level: 'silent' }),
    locale: 'en',
    clock: () => Date.now(),
  } satisfies CoreDeps;
  return { services, store, sent, events };
}

/** An engine whose runs the test finishes by hand. */
export class ManualEngine implements Engine {
  readonly started: { ctx: EngineContext; finish: (r: EngineResult) => void; cancelled: boolean }[] = [];
  resumable = false;

  start(ctx: EngineContext) {
    let finish!: (r: EngineResult) => void;
    const done = new Promise<EngineResult>((r) => (finish = r));
    const entry = { ctx, finish, cancelled: false };
    this.started.push(entry);
    return {
      done,
      cancel: () => {
        entry.cancelled = true;
        finish({ outcome: 'cancelled' });
      },
    };
  }

  byTask(id: string) {
    const e = this.started.find((s) => s.ctx.task.id === id);
    if (!e) throw new Error(`task ${id} not started`);
    return e;
  }
}

export const who = { id: 'alice', name: 'Alice' };
let n = 0;
export const msg = (id = `m${++n}`, chat = 'test:room') => ({ id, chat });

/** Poll until `fn` is true (real timers), failing after `ms`. */
export async function until(fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
