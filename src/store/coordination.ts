/**
 * The embedded/PostgreSQL question, asked once (issue 14 §5): the store driver decides how the parts
 * that coordinate work are built. Embedded (lowdb, memory): one process, in-process queues, timers in
 * the store, no elections. PostgreSQL: several replicas share the delivery queue, the outbox budget,
 * the timers (exactly once) and the deploy queue, and one leader holds each long chat connection
 * (scale-out.md §0). Nothing outside src/store checks which driver is in use. The parts are built by
 * create-coordination.ts; this file is only their shape.
 */
import type { Logger } from 'pino';
import type { DeliveryPipeline } from '../core/deliveries.ts';
import type { OutboxLedger } from '../core/outbox-ledger.ts';
import type { Timers } from '../core/timers.ts';
import type { DeployQueue } from '../deploy/queue.ts';
import type { DeployTask } from '../deploy/tasks.ts';

/** Something held by one replica at a time (a long connection). */
export interface Held {
  stop(): Promise<void>;
}

export interface Coordination {
  /** Several replicas share this store: messages a dead replica left unanswered are taken over. */
  readonly shared: boolean;
  /** Webhook deliveries: persisted, then processed once (by any replica when shared). */
  readonly deliveries: DeliveryPipeline;
  /** Durable one-shot timers (escalation, periodic jobs): exactly once across replicas when shared. */
  readonly timers: Timers;
  /**
   * The durable outbox: embedded, the store's `outbox` collection (bulk tier: lowdb's journal);
   * PostgreSQL, the `outbox` table every replica shares (budget, order and claims across replicas).
   */
  outboxLedger(o: { budgetPerMinute: number; clock: () => number }): OutboxLedger;
  /** The shared deploy queue; undefined: the deploy runner schedules in process. */
  deployQueue(o: { concurrency: number; log: Logger; reattachable(task: DeployTask): boolean }): DeployQueue | undefined;
  /**
   * Run `start` while this replica holds `key` and `stop` when it lets go (one holder across replicas);
   * embedded: started at once and held until `stop()` of the returned handle.
   */
  hold(key: string, o: { start(): Promise<void>; stop(): Promise<void> }): Promise<Held>;
  /** Housekeeping jobs of the driver (armed once timers run). */
  start(): Promise<void>;
}

