/**
 * Which queued deliveries may be processed now, per order key (Identified.orderKey): an exclusive
 * delivery (a state change: an issue resolved, an Alertmanager group notification, a pipeline status)
 * runs alone, after everything accepted before it under its key and before everything after it;
 * shared deliveries (occurrences: a Sentry issue's events) run alongside each other, between the
 * exclusive ones. So a storm of one issue is still processed many at once, and its resolve lands
 * after the alerts that came before it. O(1) per delivery: parked deliveries are handed on in order.
 */
import { Fifo } from './fifo.ts';

export interface Gated {
  id: string;
  order?: string;
  shared?: boolean;
  /** Admitted already (handed on by release): run it without asking again. */
  granted?: true;
}

interface KeyState {
  shared: boolean;
  running: number;
  waiting: Fifo<Gated>;
}

export class OrderGate {
  private readonly keys = new Map<string, KeyState>();

  /** true: run it now; false: parked behind its key (release hands it on). */
  admit(item: Gated): boolean {
    if (item.order === undefined || item.granted) return true;
    const k = this.keys.get(item.order);
    if (!k) {
      this.keys.set(item.order, { shared: item.shared === true, running: 1, waiting: new Fifo<Gated>() });
      return true;
    }
    if (item.shared && k.shared && k.waiting.length === 0) {
      k.running++;
      return true;
    }
    k.waiting.push(item);
    return false;
  }

  /** One admitted delivery of `order` finished: the deliveries its key may run next (granted, in order). */
  release(order: string | undefined): Gated[] {
    if (order === undefined) return [];
    const k = this.keys.get(order);
    if (!k || --k.running > 0) return [];
    const head = k.waiting.shift();
    if (!head) {
      this.keys.delete(order);
      return [];
    }
    const next = [head];
    if (head.shared) while (k.waiting.peek()?.shared) next.push(k.waiting.shift()!);
    k.shared = head.shared === true;
    k.running = next.length;
    // The parked objects themselves, marked: callers may find them by identity.
    for (const g of next) g.granted = true;
    return next;
  }
}
