/**
 * Wires the optional features (chat platforms, webhook sources, deploys) from config. A section that is
 * absent from the config mounts no route and opens no connection (contract.md).
 */
import type { Logger } from 'pino';
import type { ChatAdapter, WebhookRoute } from './adapters/types.ts';
import type { Config } from './config/schema.ts';
import type { DeliveryPipeline } from './core/deliveries.ts';
import type { IncomingMessage } from './core/message.ts';
import type { Services } from './core/services.ts';
import type { Store } from './store/types.ts';

export interface FeatureDeps {
  config: Config;
  log: Logger;
  store: Store;
  services: Services;
  deliveries: DeliveryPipeline;
  onMessage(msg: IncomingMessage): Promise<void>;
}

export interface Features {
  adapters: ChatAdapter[];
  routes: WebhookRoute[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function setupFeatures(_deps: FeatureDeps): Promise<Features> {
  const starters: (() => Promise<void>)[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  return {
    adapters: [],
    routes: [],
    async start() {
      for (const s of starters) await s();
    },
    async stop() {
      for (const s of stoppers) await s();
    },
  };
}
