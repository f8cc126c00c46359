/** A bot-less harness: config, MemoryStore, EventBus, a recording Outbox, the delivery pipeline. */
import pino from 'pino';
import { configSchema } from '../../../src/config/schema.ts';
import { DeliveryPipeline } from '../../../src/core/deliveries.ts';
import { EventBus, type DomainEvent } from '../../../src/core/events.ts';
import type { OutgoingMessage } from '../../../src/core/message.ts';
import type { CoreDeps } from '../../../src/core/services.ts';
import { lookupOf, provide, type ServiceLookup } from '../../../src/core/feature.ts';
import { mountSource } from '../../../src/core/mount-source.ts';
import { GITLAB } from '../../../src/sources/gitlab/service.ts';
import { createFreezeService, FREEZES, type FreezeService } from '../../../src/freeze/service.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { gitlabConfigSchema } from '../../../src/sources/gitlab/config.ts';
import { setupGitlab } from '../../../src/sources/gitlab/index.ts';
import type { GitlabApi } from '../../../src/integrations/gitlab-api.ts';
import type { WebhookRoute } from '../../../src/core/transport.ts';
import { SECRET } from './helpers.ts';

export const CHAT = 'test:payments-group';

/** demo ↔ gitlab-org/gitlab-test (the pipeline/MR fixtures' project), component-b ↔ jsmith/example (tag fixture). */
export function testConfig(extra: Record<string, unknown> = {}) {
  return configSchema.parse({
    people: { alice: { name: 'Alice', roles: ['deployer'] }, bob: { name: 'Bob', roles: [] } },
    teams: { payments: { members: ['alice'], chats: [CHAT] } },
    products: {
      demo: {
        team: 'payments',
        owners: ['alice'],
        gitlabProject: 'gitlab-org/gitlab-test',
        components: ['component-a', 'component-b'],
        releases: { 'v1.1.0': { 'component-a': 'v1.1.0', 'component-b': 'v1.0.0' } },
        environments: {
          'env-1': { engine: { type: 'command', run: ['./deploy.sh'] } },
          prod: { protected: true, engine: { type: 'gitlab-pipeline', ref: 'main' } },
        },
        ...extra,
      },
      other: { team: 'payments', gitlabProject: 'GitlabHQ/Gitlab-Test', components: ['x'] },
    },
  });
}

export const gitlabConfig = gitlabConfigSchema.parse({ url: 'https://gitlab.example.com', token: 'glpat-x', webhookSecret: SECRET });

export interface Harness {
  services: CoreDeps;
  sent: OutgoingMessage[];
  events: DomainEvent[];
  deliveries: DeliveryPipeline;
  route: WebhookRoute;
  /** What the GitLab feature provides (GITLAB), and the freeze service /gitlab retry asks (FREEZES). */
  lookup: ServiceLookup;
  freezes: FreezeService;
  store: MemoryStore;
}

export function harness(opts: { config?: ReturnType<typeof testConfig>; api?: GitlabApi; gitlab?: typeof gitlabConfig } = {}): Harness {
  const log = pino({ level: 'silent' });
  const store = new MemoryStore();
  const bus = new EventBus((err) => {
    throw err;
  });
  const sent: OutgoingMessage[] = [];
  const events: DomainEvent[] = [];
  bus.on('*', (e) => {
    events.push(e);
  });
  const services: CoreDeps = {
    config: opts.config ?? testConfig(),
    store,
    events: bus,
    outbox: { send: async (m) => void sent.push(m) },
    log,
    locale: 'en',
    clock: () => Date.parse('2016-08-12T16:00:00Z'),
  };
  const deliveries = new DeliveryPipeline(store, log);
  const api: GitlabApi = opts.api ?? {
    createPipeline: async () => { throw new Error('not in this test'); },
    getPipeline: async () => { throw new Error('not in this test'); },
    listPipelines: async () => [],
    retryPipeline: async () => { throw new Error('not in this test'); },
    cancelPipeline: async () => { throw new Error('not in this test'); },
    listPipelineJobs: async () => [],
  };
  const gitlab = setupGitlab(services, { config: opts.gitlab ?? gitlabConfig, api });
  const route = mountSource(gitlab.source, { deliveries, events: bus, log });
  const freezes = createFreezeService({ store, clock: services.clock, windows: services.config.freezes, log });
  return { services, sent, events, deliveries, route, store, freezes, lookup: lookupOf(provide(GITLAB, gitlab.service), provide(FREEZES, freezes)) };
}
