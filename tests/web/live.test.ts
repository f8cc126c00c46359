// The live tail's event stream without HTTP: lines after `from` as `line` events with ids (so a
// reconnect resumes), a `state` event, `end` once the task is final; a client going away stops it.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/events.ts';
import type { DeployService } from '../../src/deploy/service.ts';
import type { DeployTask } from '../../src/deploy/tasks.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { liveTail } from '../../src/web/live.ts';

function fakeDeploys(task: { state: DeployTask['state'] }): DeployService {
  return { get: async () => ({ id: '1', ...task }) as DeployTask } as unknown as DeployService;
}

/** Collects what the stream sends; `until(marker)` resolves once the text so far contains it (event-driven). */
function reader(stream: NodeJS.ReadableStream) {
  let text = '';
  const waiters: { marker: string; resolve: (t: string) => void }[] = [];
  stream.on('data', (chunk) => {
    text += String(chunk);
    for (const w of waiters.splice(0)) {
      if (text.includes(w.marker)) w.resolve(text);
      else waiters.push(w);
    }
  });
  return {
    until: (marker: string) => new Promise<string>((resolve) => (text.includes(marker) ? resolve(text) : waiters.push({ marker, resolve }))),
  };
}

describe('live tail', () => {
  it('sends the lines after `from`, the state, and ends when the task is final', async () => {
    const store = new MemoryStore();
    await store.appendLog('1', ['a', 'b <script>', 'c']);
    const events = new EventBus();
    const task = { state: 'running' as DeployTask['state'] };
    const stream = liveTail({ taskId: '1', from: 1, deploys: fakeDeploys(task), store, events, stateLabel: (s) => `label-${s}`, pollMs: 20 });
    const r = reader(stream);
    const first = await r.until('event: state');
    expect(first).toContain('id: 2\nevent: line\ndata: {"text":"b <script>"}\n\n');
    expect(first).toContain('id: 3\nevent: line\ndata: {"text":"c"}');
    expect(first).not.toContain('"text":"a"');
    await store.appendLog('1', ['d']);
    task.state = 'succeeded';
    await events.emit({ type: 'deploy.finished', payload: { id: '1' } as DeployTask, occurredAt: 0 });
    const rest = await r.until('event: end');
    expect(rest).toContain('id: 4\nevent: line\ndata: {"text":"d"}');
    expect(rest).toContain('"state":"succeeded","label":"label-succeeded"');
  });

  it('stops quietly when the client goes away', async () => {
    const store = new MemoryStore();
    const stream = liveTail({ taskId: '1', from: 0, deploys: fakeDeploys({ state: 'running' }), store, events: new EventBus(), stateLabel: (s) => s, pollMs: 20 });
    await reader(stream).until('event: state');
    const closed = new Promise((r) => stream.once('close', r));
    stream.destroy();
    await closed;
    await store.appendLog('1', ['late']);
    expect(stream.destroyed).toBe(true);
  });
});
