import { describe, expect, it } from 'vitest';
import { byId, pickRunnable, type DeployTask } from '../../src/deploy/tasks.ts';
import { createDeployService } from '../../src/deploy/service.ts';
import { harness, ManualEngine, msg, until, who, demoProducts } from './helpers.ts';

const task = (id: string, env: string, state: DeployTask['state'] = 'waiting') =>
  ({ id, product: 'demo', env, state }) as DeployTask;

describe('pickRunnable', () => {
  it('keeps one per lane, order within a lane, and the global limit', () => {
    const waiting = [task('1', 'a'), task('2', 'a'), task('3', 'b'), task('4', 'c')];
    expect(pickRunnable(waiting, [], 2).map((t) => t.id)).toEqual(['1', '3']);
    expect(pickRunnable(waiting, [task('9', 'a', 'running')], 5).map((t) => t.id)).toEqual(['3', '4']);
    expect(pickRunnable(waiting, [task('8', 'x', 'running'), task('9', 'y', 'running')], 2)).toEqual([]);
  });
  it('sorts ids numerically', () => {
    expect([task('10', 'a'), task('9', 'a')].sort(byId).map((t) => t.id)).toEqual(['9', '10']);
  });
});

function setup(concurrency = 2) {
  const h = harness();
  const engine = new ManualEngine();
  const deploys = createDeployService(h.services, { config: { concurrency, progressThrottleMs: 0 }, engines: { command: engine } });
  return { ...h, engine, deploys };
}

describe('scheduler', () => {
  it('runs tasks of one environment one after another, in order', async () => {
    const { deploys, engine } = setup(5);
    const a = await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: msg() });
    const b = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'env-1', requestedBy: who, message: msg() });
    await until(() => engine.started.length === 1);
    expect((await deploys.get(b.task.id))?.state).toBe('waiting');
    engine.byTask(a.task.id).finish({ outcome: 'succeeded' });
    await until(() => engine.started.length === 2);
    expect(engine.started[1]!.ctx.task.id).toBe(b.task.id);
    engine.byTask(b.task.id).finish({ outcome: 'succeeded' });
    await deploys.idle();
    expect((await deploys.status('demo'))[0]!.environments.find((e) => e.env === 'env-1')?.current?.release).toBe('v1.1.0');
  });

  it('honours the global concurrency limit across environments', async () => {
    const { deploys, engine } = setup(2);
    const ids = [];
    for (const env of ['env-1', 'env-2', 'env-3']) {
      ids.push((await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env, requestedBy: who, message: msg() })).task.id);
    }
    await until(() => engine.started.length === 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(engine.started).toHaveLength(2);
    expect((await deploys.get(ids[2]!))?.state).toBe('waiting');
    engine.byTask(ids[0]!).finish({ outcome: 'failed', reason: 'boom' });
    await until(() => engine.started.length === 3);
    expect((await deploys.get(ids[0]!))?.state).toBe('failed');
  });

  it('does not create a second task for the same chat message', async () => {
    const { deploys, engine, sent } = setup();
    const m = msg('same-id');
    const first = await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: m });
    const again = await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: m });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.task.id).toBe(first.task.id);
    expect(await deploys.list('demo')).toHaveLength(1);
    await until(() => engine.started.length === 1);
    expect(sent.every((s) => s.cardKey === `task:${first.task.id}`)).toBe(true);
  });

  it('fails a task that exceeds the environment timeout', async () => {
    const products = demoProducts();
    products.demo!.environments['env-1']!.timeoutSeconds = 0.05;
    const h = harness(products);
    const engine = new ManualEngine();
    const deploys = createDeployService(h.services, { config: { progressThrottleMs: 0 }, engines: { command: engine } });
    const { task } = await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: msg() });
    await until(async () => (await deploys.get(task.id))?.state === 'failed');
    expect(engine.byTask(task.id).cancelled).toBe(true);
    expect((await deploys.get(task.id))?.reason).toBe('timeout');
    expect((await h.store.readLog(task.id)).join('\n')).toContain('timeout');
  });

  it('cancels waiting and running tasks', async () => {
    const { deploys, engine } = setup();
    const a = await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: msg() });
    const b = await deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'env-1', requestedBy: who, message: msg() });
    await until(() => engine.started.length === 1);
    expect((await deploys.cancel(b.task.id, 'Bob')).state).toBe('cancelled');
    await deploys.cancel(a.task.id, 'Bob');
    await until(async () => (await deploys.get(a.task.id))?.state === 'cancelled');
    expect((await deploys.get(a.task.id))?.cancelledBy).toBe('Bob');
    await expect(deploys.cancel(a.task.id, 'Bob')).rejects.toThrow(/already finished/);
    await expect(deploys.cancel('999', 'Bob')).rejects.toThrow(/No task #999/);
    await deploys.idle();
    expect(engine.started).toHaveLength(1);
  });

  it('rejects unknown product, release and environment with the valid choices', async () => {
    const { deploys } = setup();
    await expect(deploys.enqueue({ product: 'nope', release: 'v1', env: 'env-1', requestedBy: who, message: msg() })).rejects.toThrow(/Valid products: demo/);
    await expect(deploys.enqueue({ product: 'demo', release: 'v9', env: 'env-1', requestedBy: who, message: msg() })).rejects.toThrow(
      /Valid releases: v1.1.0, v1.0.0/,
    );
    await expect(deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'qa', requestedBy: who, message: msg() })).rejects.toThrow(
      /Valid environments: env-1, env-2, env-3, prod/,
    );
  });
});

describe('two-person approval', () => {
  it('holds a task (and its lane) until another listed approver approves', async () => {
    const products = demoProducts();
    products.demo!.environments['env-1']!.approvers = ['bob', 'carol'];
    const h = harness(products);
    const engine = new ManualEngine();
    const deploys = createDeployService(h.services, { config: { progressThrottleMs: 0 }, engines: { command: engine } });
    const a = await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: msg() });
    const other = await deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-2', requestedBy: who, message: msg() });
    await until(() => engine.started.length === 1);
    expect(engine.started[0]!.ctx.task.id).toBe(other.task.id); // env-2 is not held up
    expect((await deploys.get(a.task.id))?.state).toBe('waiting');
    expect(JSON.stringify(h.sent.find((s) => s.cardKey === `task:${a.task.id}`)?.reply)).toContain('bob, carol');
    await expect(deploys.approve(a.task.id, who)).rejects.toThrow(/cannot approve your own/);
    await expect(deploys.approve(a.task.id, { id: 'mallory', name: 'M' })).rejects.toThrow(/Approvers: bob, carol/);
    await deploys.approve(a.task.id, { id: 'bob', name: 'Bob' });
    await until(() => engine.started.length === 2);
    expect((await deploys.get(a.task.id))?.approval?.approvedBy).toBe('Bob');
    await expect(deploys.approve(a.task.id, { id: 'carol', name: 'Carol' })).rejects.toThrow(/not waiting for approval/);
  });
});
