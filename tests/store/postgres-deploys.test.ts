// Deploy tasks across replicas on one PostgreSQL (issue 9 §3): several deploy services, each with its
// own PostgresStore and PgDeployQueue, as separate replicas would have. The database keeps one running
// deploy per product+env and their order; a replica that dies mid-deploy has the task announced as
// interrupted by another; approvals and cancels work whichever replica gets them.
import { engineDeclaration } from '../../src/deploy/engines/index.ts';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/core/message.ts';
import type { ProductsConfig } from '../../src/deploy/config.ts';
import type { Engine, EngineContext, EngineResult } from '../../src/deploy/engines/types.ts';
import { createDeployService, type DeployService } from '../../src/deploy/service.ts';
import { PgDeployQueue } from '../../src/store/postgres/deploy-queue.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { harness, until, who } from '../deploy/helpers.ts';
import { usePostgres } from '../helpers/pg.ts';

const pgc = usePostgres();
const ENVS = ['env-1', 'env-2', 'env-3', 'env-4', 'env-5'];
const products: ProductsConfig = {
  demo: {
    components: ['component-a'],
    releases: { 'v1.0.0': { 'component-a': 'v1.0.0' }, 'v1.1.0': { 'component-a': 'v1.1.0' } },
    environments: {
      ...Object.fromEntries(ENVS.map((e) => [e, { engine: { type: 'command' as const, run: ['true'] } }])),
      prod: { approvers: ['bob'], engine: { type: 'command' as const, run: ['true'] } },
      staging: { engine: { type: 'gitlab-pipeline' as const, ref: 'main' } },
    },
  },
};

/** Records every start/end across all replicas of the test (they share this process). */
class TraceEngine {
  readonly events: { at: number; kind: 'start' | 'end'; env: string; id: string; replica: string }[] = [];
  readonly open = new Map<string, { finish: (r: EngineResult) => void; ctx: EngineContext }>();
  constructor(private readonly autoFinishMs?: () => number) {}
  forReplica(replica: string): Engine {
    return {
      start: (ctx) => {
        this.events.push({ at: performance.now(), kind: 'start', env: ctx.task.env, id: ctx.task.id, replica });
        let finish!: (r: EngineResult) => void;
        const done = new Promise<EngineResult>((r) => (finish = r)).then((r) => {
          this.events.push({ at: performance.now(), kind: 'end', env: ctx.task.env, id: ctx.task.id, replica });
          this.open.delete(ctx.task.id);
          return r;
        });
        this.open.set(ctx.task.id, { finish, ctx });
        const ms = this.autoFinishMs?.();
        if (ms !== undefined) setTimeout(() => finish({ outcome: 'succeeded' }), ms);
        return { done, cancel: () => finish({ outcome: 'cancelled' }) };
      },
    };
  }
}

interface Replica {
  name: string;
  store: PostgresStore;
  deploys: DeployService;
  sent: OutgoingMessage[];
}
const replicas: Replica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) {
    await r.deploys.stop().catch(() => {});
    await r.store.close().catch(() => {});
  }
});

async function replica(url: string, name: string, engine: TraceEngine, o: { concurrency?: number; leaseMs?: number; pipeline?: Engine } = {}): Promise<Replica> {
  const store = new PostgresStore({ url });
  await store.init();
  const h = harness(products, undefined);
  const services = { ...h.services, store };
  const queue = new PgDeployQueue(store, pino({ level: 'silent' }), { concurrency: o.concurrency ?? 4, leaseMs: o.leaseMs ?? 3000, pollMs: 100, reattachable: (t) => engineDeclaration(t.engine).capabilities.followsExternalRun });
  const deploys = createDeployService(services, { config: { concurrency: o.concurrency ?? 4, progressThrottleMs: 0 }, engines: { command: engine.forReplica(name), ...(o.pipeline ? { 'gitlab-pipeline': o.pipeline } : {}) }, queue });
  await deploys.recover();
  const r = { name, store, deploys, sent: h.sent };
  replicas.push(r);
  return r;
}

let n = 0;
const message = () => ({ id: `m${++n}`, chat: 'test:room' });

describe('deploy tasks on the shared queue', () => {
  it('200 deploys over 5 environments on 3 replicas: never two at once per environment, in order', async () => {
    const url = await pgc.current.freshDatabase();
    const engine = new TraceEngine(() => Math.random() * 4);
    const rs = [await replica(url, 'a', engine), await replica(url, 'b', engine), await replica(url, 'c', engine)];
    const created: { id: string; env: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const env = ENVS[i % 5]!;
      const { task } = await rs[i % 3]!.deploys.enqueue({ product: 'demo', release: i % 2 ? 'v1.1.0' : 'v1.0.0', env, requestedBy: who, message: message() });
      created.push({ id: task.id, env });
    }
    await until(async () => (await rs[0]!.deploys.list(undefined, 500)).every((t) => t.state === 'succeeded'), 60_000);
    const all = await rs[0]!.deploys.list(undefined, 500);
    expect(all).toHaveLength(200);
    for (const env of ENVS) {
      const evs = engine.events.filter((e) => e.env === env);
      let running = 0;
      for (const e of evs) {
        running += e.kind === 'start' ? 1 : -1;
        expect(running).toBeLessThanOrEqual(1);
      }
      const started = evs.filter((e) => e.kind === 'start').map((e) => e.id);
      expect(started).toEqual(created.filter((c) => c.env === env).map((c) => c.id));
    }
    // Work was shared: every replica ran some of it.
    const byReplica = new Set(engine.events.map((e) => e.replica));
    expect(byReplica.size).toBe(3);
  }, 90_000);

  it('a replica that dies mid-deploy: another announces the task as interrupted and runs the next one', async () => {
    const url = await pgc.current.freshDatabase();
    const engine = new TraceEngine();
    const a = await replica(url, 'a', engine, { leaseMs: 1500 });
    const first = await a.deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-1', requestedBy: who, message: message() });
    await until(() => engine.open.has(first.task.id), 10_000);
    // Replica A "dies": its database connections go away (no heartbeat, no completion); it never stops.
    await a.store.pool.end();
    const b = await replica(url, 'b', engine, { leaseMs: 1500 });
    const second = await b.deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'env-1', requestedBy: who, message: message() });
    const t0 = Date.now();
    await until(async () => (await b.deploys.get(first.task.id))?.state === 'interrupted', 15_000);
    const detectedMs = Date.now() - t0;
    const t = await b.deploys.get(first.task.id);
    expect(t?.reason).toBe('replica lost');
    expect(await b.deploys.logTail(first.task.id)).toEqual(expect.arrayContaining([expect.stringContaining('interrupted')]));
    // Announced in the task's chat by replica B (its card shows the interrupted state).
    await until(() => b.sent.some((m) => m.cardKey === `task:${first.task.id}`), 5000);
    // The dead task is never re-run; the next one in its lane runs.
    await until(() => engine.open.has(second.task.id), 10_000);
    expect(engine.events.filter((e) => e.kind === 'start' && e.id === first.task.id)).toHaveLength(1);
    engine.open.get(second.task.id)!.finish({ outcome: 'succeeded' });
    await until(async () => (await b.deploys.get(second.task.id))?.state === 'succeeded', 10_000);
    expect(detectedMs).toBeLessThan(8000);
  }, 40_000);

  it('an environment with approvers: the task holds its lane until approved on any replica', async () => {
    const url = await pgc.current.freshDatabase();
    const engine = new TraceEngine(() => 1);
    const a = await replica(url, 'a', engine);
    const b = await replica(url, 'b', engine);
    const held = await a.deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'prod', requestedBy: who, message: message() });
    const next = await b.deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'prod', requestedBy: { id: 'bob', name: 'Bob' }, message: message() });
    await new Promise((r) => setTimeout(r, 600));
    expect(engine.events).toEqual([]);
    await b.deploys.approve(held.task.id, { id: 'bob', name: 'Bob' });
    await until(async () => (await a.deploys.get(held.task.id))?.state === 'succeeded', 10_000);
    expect((await a.deploys.get(next.task.id))?.state).toBe('waiting'); // still waits for its own approval
    expect(engine.events.filter((e) => e.kind === 'start').map((e) => e.id)).toEqual([held.task.id]);
  }, 30_000);

  it('a cancel typed on one replica stops the run on the other', async () => {
    const url = await pgc.current.freshDatabase();
    const engine = new TraceEngine();
    const a = await replica(url, 'a', engine);
    const { task } = await a.deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-2', requestedBy: who, message: message() });
    await until(() => engine.open.has(task.id), 10_000);
    const b = await replica(url, 'b', engine);
    const waiting = await b.deploys.enqueue({ product: 'demo', release: 'v1.1.0', env: 'env-2', requestedBy: who, message: message() });
    await b.deploys.cancel(waiting.task.id, 'Bob');
    await b.deploys.cancel(task.id, 'Bob');
    await until(async () => (await b.deploys.get(task.id))?.state === 'cancelled', 10_000);
    expect((await b.deploys.get(waiting.task.id))?.state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 500));
    expect(engine.events.filter((e) => e.kind === 'start').map((e) => e.id)).toEqual([task.id]);
  }, 30_000);

  it('a GitLab pipeline deploy whose replica died is re-attached by another replica, not started again', async () => {
    const url = await pgc.current.freshDatabase();
    const calls: { kind: 'start' | 'resume'; replica: string }[] = [];
    let finish: ((r: EngineResult) => void) | undefined;
    const pipeline = (replicaName: string): Engine => {
      const run = () => ({ done: new Promise<EngineResult>((r) => (finish = r)), cancel: () => finish?.({ outcome: 'cancelled' }) });
      return {
        start: (ctx) => {
          calls.push({ kind: 'start', replica: replicaName });
          void ctx.hooks.setRef({ pipelineId: 42 });
          return run();
        },
        resume: (ctx) => {
          calls.push({ kind: 'resume', replica: replicaName });
          return ctx.task.engineRef?.pipelineId === 42 ? run() : undefined;
        },
      };
    };
    const engine = new TraceEngine();
    const a = await replica(url, 'a', engine, { leaseMs: 1500, pipeline: pipeline('a') });
    const { task } = await a.deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'staging', requestedBy: who, message: message() });
    await until(() => calls.length === 1, 10_000);
    await until(async () => (await a.deploys.get(task.id))?.engineRef?.pipelineId === 42, 5000);
    await a.store.pool.end(); // replica A dies while the pipeline runs on GitLab
    const b = await replica(url, 'b', engine, { leaseMs: 1500, pipeline: pipeline('b') });
    await until(() => calls.some((c) => c.kind === 'resume'), 15_000);
    expect(calls).toEqual([{ kind: 'start', replica: 'a' }, { kind: 'resume', replica: 'b' }]);
    finish!({ outcome: 'succeeded' });
    await until(async () => (await b.deploys.get(task.id))?.state === 'succeeded', 10_000);
  }, 40_000);

  it('a task whose queue row ended unannounced is found by the sweep and announced interrupted', async () => {
    const url = await pgc.current.freshDatabase();
    const engine = new TraceEngine();
    const a = await replica(url, 'a', engine);
    const { task } = await a.deploys.enqueue({ product: 'demo', release: 'v1.0.0', env: 'env-3', requestedBy: who, message: message() });
    await until(() => engine.open.has(task.id), 10_000);
    // Replica A dies, and the row ends without the announcement (e.g. the reaper's replica died too).
    await a.store.pool.end();
    const b = await replica(url, 'b', engine);
    await b.store.pool.query(`UPDATE task_queue SET state = 'failed', finished_at = now() WHERE dedupe_key = $1`, [`deploy:${task.id}`]);
    expect((await b.deploys.get(task.id))?.state).toBe('running');
    await until(async () => (await b.deploys.get(task.id))?.state === 'interrupted', 25_000);
    expect((await b.deploys.get(task.id))?.reason).toBe('replica lost');
  }, 40_000);
});
