/**
 * A feature is a module (Probot's app function, a grammY Composer): it is declared once, with the
 * commands it owns and the message catalog it brings, and `setup` receives its typed dependencies and
 * returns what it contributes: webhook sources, chat adapters, raw routes, services for commands and
 * later features, start/stop. `src/features.ts` lists the features; `src/app.ts` runs the list.
 *
 * Services are reached through typed keys (`serviceKey<DeployService>('deploys')`), never through a
 * shared mutable object: a feature provides a key, a command or a later feature `uses` it. A feature
 * that is switched off in the config provides nothing, and its commands answer "not configured"
 * (the key's message) from one place, the dispatcher, instead of every command checking.
 */
import type { Config } from '../config/schema.ts';
import type { Metrics } from '../server/metrics.ts';
import type { Coordination } from '../store/coordination.ts';
import type { CommandSpec } from './define-command.ts';
import type { Catalog } from './i18n.ts';
import type { IncomingMessage } from './message.ts';
import type { People } from './people.ts';
import type { CoreDeps } from './services.ts';
import type { ChatAdapter, WebhookRoute } from './transport.ts';
import type { WebhookSource } from './webhook-source.ts';

/** A typed name for a service one feature provides and others use. */
export interface ServiceKey<T> {
  readonly name: string;
  /** i18n key of the answer a command gets when no feature provides it (the feature is off). */
  readonly notConfigured: string;
  /** Type carrier only; never set. */
  readonly __type?: T;
}

export const serviceKey = <T>(name: string, notConfigured = 'core.error.notConfigured'): ServiceKey<T> => ({ name, notConfigured });

/** What a `uses` map resolves to: `{ deploys: DEPLOYS }` → `{ deploys: DeployService }`. */
export type Uses = Record<string, ServiceKey<unknown>>;
export type Resolved<U extends Uses> = { [K in keyof U]: U[K] extends ServiceKey<infer T> ? T : never };

/** The services provided so far; read-only for consumers. */
export interface ServiceLookup {
  get<T>(key: ServiceKey<T>): T | undefined;
}

/** The registry the app fills while it sets features up, in list order. */
export class ServiceRegistry implements ServiceLookup {
  private readonly values = new Map<string, unknown>();

  provide<T>(key: ServiceKey<T>, value: T): void {
    if (this.values.has(key.name)) throw new Error(`service "${key.name}" is provided twice`);
    this.values.set(key.name, value);
  }

  get<T>(key: ServiceKey<T>): T | undefined {
    return this.values.get(key.name) as T | undefined;
  }
}

/** A value for a key, as a feature returns it. */
export interface Provided<T = unknown> {
  key: ServiceKey<T>;
  value: T;
}
export const provide = <T>(key: ServiceKey<T>, value: T): Provided => ({ key, value }) as Provided;

/** What every feature may use: the process-wide parts, each typed. */
export interface FeatureDeps extends CoreDeps {
  metrics: Metrics;
  /** Who is who across the configured platforms (sender → person, person → @mention). */
  people: People;
  /** The store driver's coordination parts (timers, queues, leader election): asked once, in src/store. */
  coordination: Coordination;
  /** Services provided by the features listed before this one. */
  services: ServiceLookup;
  /** Chat adapters hand every incoming message here. */
  onMessage(msg: IncomingMessage): Promise<void>;
}

/** What a feature's setup contributes. Every part is optional. */
export interface Contribution {
  provides?: Provided[];
  sources?: WebhookSource[];
  adapters?: ChatAdapter[];
  /** Routes that are not webhook sources (rare: a callback URL with its own protocol). */
  routes?: WebhookRoute[];
  /** Long-lived work, started after every feature is set up and before the bot answers. */
  start?(): Promise<void>;
  /** Stopped in reverse list order, before the adapters disconnect. */
  stop?(): Promise<void>;
}

export interface Feature {
  readonly name: string;
  /** Commands this feature owns: listed in /help whether or not the feature is on. */
  readonly commands?: readonly CommandSpec[];
  readonly messages?: Catalog;
  /** Whether the config switches the feature on (an absent section: off, nothing mounted, contract.md). */
  enabled(config: Config): boolean;
  setup(deps: FeatureDeps): Contribution | Promise<Contribution>;
}

/** Identity function that checks the shape (grammY's `new Composer()`, Probot's app function). */
export const defineFeature = (feature: Feature): Feature => feature;

/** A lookup holding just these (tests, and features set up by hand). */
export function lookupOf(...provided: Provided[]): ServiceLookup {
  const r = new ServiceRegistry();
  for (const p of provided) r.provide(p.key, p.value);
  return r;
}
