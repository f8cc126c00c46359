/**
 * Typed `resource.action` domain events (octokit/Probot style): webhook sources turn deliveries into
 * these; reactions subscribe with `on(type, fn)` and get the payload type the producer declared.
 * Each producer declares its event types and payloads in `EventMap` next to its mapper (a compile-time
 * map, like octokit's `EmitterWebhookEventName`), so core does not edit a shared union and a handler's
 * payload type is checked against the producer's declaration, never asserted by the handler.
 */

/**
 * Event type (or subscription pattern: `gitlab.pipeline.*`) → payload. Producers add their entries:
 * `declare module '../../core/events.ts' { interface EventMap { 'sentry.issue.created': SentryEventPayload } }`.
 */
export interface EventMap {
  /** Everything (logging, tests). */
  '*': unknown;
}

/** A type or pattern some producer declared. */
export type EventType = keyof EventMap & string;
export interface DomainEvent<P = unknown> {
  /** e.g. `sentry.issue.created`, `gitlab.pipeline.failed`, `deploy.finished` */
  type: string;
  payload: P;
  /** ms since epoch */
  occurredAt: number;
  /** The stored delivery this event came from, if any. */
  deliveryId?: string;
}

export type EventHandler<P = unknown> = (event: DomainEvent<P>) => Promise<void> | void;

/** In-process event bus. Handlers run in registration order; one failing handler does not stop the others. */
export class EventBus {
  private readonly handlers = new Map<string, EventHandler<never>[]>();

  constructor(private readonly onError: (err: unknown, event: DomainEvent) => void = () => {}) {}

  /** Subscribe to one type, a prefix (`gitlab.pipeline.*`) or everything (`*`), as declared in EventMap. */
  on<K extends EventType>(type: K, fn: EventHandler<EventMap[K]>): () => void {
    const list = this.handlers.get(type) ?? [];
    list.push(fn as EventHandler<never>);
    this.handlers.set(type, list);
    return () => {
      const l = this.handlers.get(type);
      if (l) this.handlers.set(type, l.filter((h) => h !== fn));
    };
  }

  async emit(event: DomainEvent): Promise<void> {
    const parts = event.type.split('.');
    const keys = ['*', event.type];
    for (let i = 1; i < parts.length; i++) keys.push(parts.slice(0, i).join('.') + '.*');
    for (const key of keys) {
      for (const h of this.handlers.get(key) ?? []) {
        try {
          await (h as EventHandler)(event);
        } catch (err) {
          this.onError(err, event);
        }
      }
    }
  }
}
