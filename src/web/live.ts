/**
 * The live tail of a task page (issue 20 §1): server-sent events (`text/event-stream`, one `line`
 * event per log line with `id:` = lines sent so far, so EventSource's automatic reconnect resumes
 * through Last-Event-ID; a `state` event when the task's state changes; `end` once it is final).
 * The stream reads the store, not this process's memory: with several replicas the deploy may run on
 * another one (scale-out.md), and the store is what they share. `deploy.finished` wakes it at once on
 * the replica that ran the task; elsewhere the next poll sees the final state.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { EventBus } from '../core/events.ts';
import type { DeployService } from '../deploy/service.ts';
import { isTerminal } from '../deploy/tasks.ts';
import type { Store } from '../store/types.ts';

export interface LiveTailOptions {
  taskId: string;
  /** Lines the page already shows (or the Last-Event-ID of a reconnect). */
  from: number;
  deploys: DeployService;
  store: Store;
  events: EventBus;
  stateLabel: (state: string) => string;
  pollMs?: number;
  /** Comment line this often, so proxies keep an idle stream open. */
  heartbeatMs?: number;
  /** A stream ends after this long even if the task never does (the browser reconnects). */
  maxMs?: number;
}

export function liveTail(o: LiveTailOptions): Readable {
  const out = new PassThrough();
  let closed = false;
  let wake: (() => void) | undefined;
  const unsubscribe = o.events.on('deploy.finished', (e) => {
    if (e.payload.id === o.taskId) wake?.();
  });
  // Nothing is written once the client is gone (a write to a destroyed stream would be an error event).
  const send = (chunk: string) => {
    if (!closed && !out.destroyed) out.write(chunk);
  };
  const heartbeat = setInterval(() => send(': keep-alive\n\n'), o.heartbeatMs ?? 15_000);
  const stop = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    wake?.();
  };
  // Koa destroys the body stream when the client goes away: that ends the loop.
  out.on('close', stop);
  out.on('error', stop);
  const started = Date.now();
  // An initial comment makes the headers go out now, so EventSource reports the stream open.
  send(': open\n\n');
  void (async () => {
    let sent = o.from;
    let lastState: string | undefined;
    try {
      while (!closed) {
        // The task before its log: lines stored before the final state are all sent before `end`.
        const task = await o.deploys.get(o.taskId);
        const lines = await o.store.readLog(o.taskId);
        for (let i = sent; i < lines.length; i++) send(`id: ${i + 1}\nevent: line\ndata: ${JSON.stringify({ text: lines[i] })}\n\n`);
        sent = Math.max(sent, lines.length);
        if (task && task.state !== lastState) {
          lastState = task.state;
          send(`event: state\ndata: ${JSON.stringify({ state: task.state, label: o.stateLabel(task.state) })}\n\n`);
        }
        if (!task || isTerminal(task.state) || Date.now() - started > (o.maxMs ?? 3_600_000)) {
          send('event: end\ndata: {}\n\n');
          break;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, o.pollMs ?? 500);
          wake = () => (clearTimeout(timer), resolve());
        });
        wake = undefined;
      }
    } catch (err) {
      send(`event: error\ndata: ${JSON.stringify({ error: err instanceof Error ? 'storage unavailable' : 'error' })}\n\n`);
    } finally {
      stop();
      if (!out.destroyed) out.end();
    }
  })();
  return out;
}
