import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { markdown, type Card } from '../../../cards/model.ts';
import { classifySendFailure } from '../../../src/core/outbox-retry.ts';
import { cardReply, text, type OutgoingMessage } from '../../../src/core/message.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { createDingtalkAdapter } from '../../../src/adapters/dingtalk/index.ts';
import { dingtalkFeature } from '../../../src/adapters/dingtalk/feature.ts';
import { DingtalkQuota, QUOTA_COLLECTION, QUOTA_USED_UP, type QuotaRecord } from '../../../src/adapters/dingtalk/quota.ts';
import { silentLog, startFakeDingtalk, testConfig, type Responder } from './helpers.ts';

let fake: Awaited<ReturnType<typeof startFakeDingtalk>> | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

// 2026-03-15 12:00 Asia/Shanghai.
const MARCH = Date.UTC(2026, 2, 15, 4, 0, 0);
// 2026-03-31 23:30 in Shanghai is 15:30 UTC: still March there; 16:30 UTC is April 1st 00:30 in Shanghai.
const LAST_HALF_HOUR = Date.UTC(2026, 2, 31, 15, 30, 0);
const APRIL_IN_SHANGHAI = Date.UTC(2026, 2, 31, 16, 30, 0);

function quotaOf(store: MemoryStore, clock: { now: number }, over: { monthlyQuota?: number; onWarning?: (t: string) => void } = {}) {
  return new DingtalkQuota({
    monthlyQuota: over.monthlyQuota ?? 100,
    log: silentLog,
    clock: () => clock.now,
    collection: store.collection<QuotaRecord>(QUOTA_COLLECTION, { tier: 'hot' }),
    flushMs: 60_000,
    ...(over.onWarning ? { onWarning: over.onWarning } : {}),
  });
}
const records = (store: MemoryStore) => store.collection<QuotaRecord>(QUOTA_COLLECTION, { tier: 'hot' });

describe('DingtalkQuota: counting and persistence', () => {
  it('counts across calls, batches writes, and a restart continues from the stored month', async () => {
    const store = new MemoryStore();
    const clock = { now: MARCH };
    const q = quotaOf(store, clock);
    await q.ready();
    for (let i = 0; i < 7; i++) q.count();
    expect(q.snapshot()).toEqual({ month: '2026-03', calls: 7, quota: 100, remaining: 93 });
    expect(await records(store).get('2026-03')).toBeUndefined(); // batched: nothing written per call
    await q.stop();
    expect((await records(store).get('2026-03'))?.calls).toBe(7);

    const again = quotaOf(store, clock);
    again.count(); // counted before the record was read: kept on top of it
    await again.ready();
    again.count();
    expect(again.snapshot().calls).toBe(9);
    await again.flush();
    expect((await records(store).get('2026-03'))?.calls).toBe(9);
  });

  it('flushes on its own every flushMs once started', async () => {
    const store = new MemoryStore();
    const q = new DingtalkQuota({ monthlyQuota: 100, log: silentLog, clock: () => MARCH, collection: records(store), flushMs: 20 });
    q.start();
    await q.ready();
    q.count(2);
    await new Promise((r) => setTimeout(r, 80));
    expect((await records(store).get('2026-03'))?.calls).toBe(2);
    await q.stop();
  });

  it('adds deltas, so two processes sharing a store add up', async () => {
    const store = new MemoryStore();
    const clock = { now: MARCH };
    const a = quotaOf(store, clock);
    const b = quotaOf(store, clock);
    await Promise.all([a.ready(), b.ready()]);
    a.count(3);
    b.count(4);
    await a.flush();
    await b.flush();
    expect((await records(store).get('2026-03'))?.calls).toBe(7);
    expect(b.snapshot().calls).toBe(7);
  });

  it('uses the Asia/Shanghai month and starts from zero in a new month (injected clock)', async () => {
    const store = new MemoryStore();
    const clock = { now: LAST_HALF_HOUR };
    const q = quotaOf(store, clock);
    await q.ready();
    q.count(5);
    expect(q.snapshot().month).toBe('2026-03');
    clock.now = APRIL_IN_SHANGHAI; // still March 31st in UTC
    expect(q.snapshot()).toMatchObject({ month: '2026-04', calls: 0, remaining: 100 });
    q.count(2);
    await q.stop();
    expect((await records(store).get('2026-03'))?.calls).toBe(5);
    expect((await records(store).get('2026-04'))?.calls).toBe(2);
  });

  it('warns once at 80 % and once at 95 % per month, and a restart does not repeat them', async () => {
    const store = new MemoryStore();
    const clock = { now: MARCH };
    const warnings: string[] = [];
    const q = quotaOf(store, clock, { onWarning: (t) => warnings.push(t) });
    await q.ready();
    q.count(79);
    expect(warnings).toEqual([]);
    q.count();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('80 of 100');
    q.count(14);
    expect(warnings).toHaveLength(1);
    q.count();
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('≥ 95 %');
    q.count(3);
    await q.stop();
    expect(await records(store).get('2026-03')).toEqual({ month: '2026-03', calls: 98, warned: [80, 95] });

    const restarted = quotaOf(store, clock, { onWarning: (t) => warnings.push(t) });
    await restarted.ready();
    restarted.count();
    expect(warnings).toHaveLength(2);

    clock.now = Date.UTC(2026, 3, 10); // April: warned again when crossed again
    await restarted.ready();
    restarted.count(80);
    expect(warnings).toHaveLength(3);
  });

  it('0 = unlimited: counted, no remaining, never refused or warned', async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    const q = quotaOf(store, { now: MARCH }, { monthlyQuota: 0, onWarning: (t) => warnings.push(t) });
    await q.ready();
    q.count(1_000_000);
    expect(q.snapshot()).toMatchObject({ calls: 1_000_000, quota: 0, remaining: undefined });
    expect(q.allowsMetered()).toBe(true);
    expect(q.low()).toBe(false);
    expect(warnings).toEqual([]);
  });
});

const progress = (n: number): Card => ({ title: 'Deploy #7', tone: 'info', blocks: [markdown(`step ${n}`)] });
const done: Card = { title: 'Deploy #7', tone: 'success', blocks: [markdown('done')] };
const GROUP = 'dingtalk:cidGroup==';

async function adapterSetup(opts: { monthlyQuota?: number; respond?: Responder; store?: MemoryStore; robots?: boolean; onApiCall?: () => void } = {}) {
  fake = await startFakeDingtalk(opts.respond);
  const clock = { now: MARCH };
  const store = opts.store ?? new MemoryStore();
  const config = testConfig(fake.base, {
    mode: 'stream',
    monthlyQuota: opts.monthlyQuota ?? 100,
    ...(opts.robots ? { robots: { ops: { accessToken: 'tok-ops', group: 'cidGroup==' } } } : {}),
  });
  const adapter = createDingtalkAdapter({
    config,
    onMessage: async () => {},
    log: silentLog,
    store,
    clock: () => clock.now,
    retryBaseMs: 1,
    ...(opts.onApiCall ? { onApiCall: opts.onApiCall } : {}),
  });
  // Not start(): that would open a Stream connection; the quota loads lazily on the first send.
  return { fake, clock, store, adapter };
}
const seed = async (store: MemoryStore, calls: number) => records(store).put('2026-03', { month: '2026-03', calls });
const send = (a: { send(m: OutgoingMessage): Promise<void> }, m: Partial<OutgoingMessage>) => a.send({ to: GROUP, reply: text('hi'), ...m });

describe('DingTalk adapter: spending the budget where people need it', () => {
  it('counts metered OpenAPI calls (not token fetches) from the stored month', async () => {
    const store = new MemoryStore();
    await seed(store, 10);
    let perCall = 0;
    const { adapter } = await adapterSetup({ store, onApiCall: () => perCall++ });
    await send(adapter, {});
    await send(adapter, { reply: cardReply(progress(1)), cardKey: 'task:7' });
    expect(perCall).toBe(2);
    expect(adapter.stats().quota).toMatchObject({ calls: 12, remaining: 88 });
    expect(adapter.stats().api.openApiCalls).toBe(2);
    await adapter.stop();
    expect((await records(store).get('2026-03'))?.calls).toBe(12);
  });

  it('below 20 % left, refreshes a progress card at most once per 60 s; an outcome always goes', async () => {
    const store = new MemoryStore();
    await seed(store, 81); // 19 left
    const { fake, clock, adapter } = await adapterSetup({ store });
    await send(adapter, { reply: cardReply(progress(1)), cardKey: 'task:7' });
    expect(fake.callsTo('/v1.0/card/instances/createAndDeliver')).toHaveLength(1);
    clock.now += 10_000;
    await send(adapter, { reply: cardReply(progress(2)), cardKey: 'task:7' }); // skipped
    expect(fake.callsTo('/v1.0/card/instances')).toHaveLength(0);
    expect(adapter.stats().cardRefreshesThrottled).toBe(1);
    clock.now += 51_000;
    await send(adapter, { reply: cardReply(progress(3)), cardKey: 'task:7' }); // 61 s later: goes
    expect(fake.callsTo('/v1.0/card/instances')).toHaveLength(1);
    clock.now += 1_000;
    await send(adapter, { reply: cardReply(done), cardKey: 'task:7' }); // terminal: not throttled
    expect(fake.callsTo('/v1.0/card/instances')).toHaveLength(2);
    expect(fake.callsTo('/v1.0/card/instances').at(-1)?.body['cardData']).toBeDefined();
  });

  it('with plenty left, every progress refresh goes', async () => {
    const { fake, clock, adapter } = await adapterSetup();
    await send(adapter, { reply: cardReply(progress(1)), cardKey: 'task:7' });
    clock.now += 1_000;
    await send(adapter, { reply: cardReply(progress(2)), cardKey: 'task:7' });
    expect(fake.callsTo('/v1.0/card/instances')).toHaveLength(1);
  });

  it('at 0 left, metered sends fail permanently with a clear error and nothing reaches DingTalk', async () => {
    const store = new MemoryStore();
    await seed(store, 100);
    const { fake, adapter } = await adapterSetup({ store });
    const err = await send(adapter, {}).catch((e: unknown) => e);
    expect((err as Error).message).toContain(QUOTA_USED_UP);
    expect(classifySendFailure(err).transient).toBe(false); // the outbox marks it dead
    const card = await send(adapter, { reply: cardReply(progress(1)), cardKey: 'task:7' }).catch((e: unknown) => e);
    expect((card as Error).message).toContain(QUOTA_USED_UP);
    expect(fake.calls).toHaveLength(0);
  });

  it('at 0 left, a group with a custom robot is reached through the robot (not metered)', async () => {
    const store = new MemoryStore();
    await seed(store, 100);
    const { fake, adapter } = await adapterSetup({ store, robots: true });
    await send(adapter, { reply: text('deploy failed') });
    expect(fake.callsTo('/robot/send')).toHaveLength(1);
    expect(fake.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(0);
    expect(adapter.stats().quotaRobotFallbacks).toBe(1);
  });

  it('after errcode 90020, stops metered sends for the month', async () => {
    const respond: Responder = (r) => (r.path === '/v1.0/robot/groupMessages/send' ? { status: 403, body: { code: '90020', message: 'api调用次数超过限制' } } : undefined);
    const { fake, adapter } = await adapterSetup({ respond, monthlyQuota: 0 });
    const first = await send(adapter, {}).catch((e: unknown) => e);
    expect((first as Error).message).toContain(QUOTA_USED_UP);
    expect(classifySendFailure(first).transient).toBe(false);
    expect(adapter.stats().quota.remaining).toBe(0);
    const second = await send(adapter, {}).catch((e: unknown) => e);
    expect((second as Error).message).toContain(QUOTA_USED_UP);
    expect(fake.callsTo('/v1.0/robot/groupMessages/send')).toHaveLength(1);
  });
});

describe('DingTalk feature: quota metrics and admin warnings', () => {
  it('exposes calls (counter and this month), remaining, and sends the warning to chat.adminChat', async () => {
    fake = await startFakeDingtalk();
    const store = new MemoryStore();
    await records(store).put(new DingtalkQuota({ monthlyQuota: 1, log: silentLog }).monthKey(Date.now()), { month: 'x', calls: 7 });
    const config = configSchema.parse({
      chat: { adminChat: 'dingtalk:cidAdmin==', dingtalk: { ...testConfig(fake.base, { mode: 'stream' }), monthlyQuota: 10 } },
    });
    const registry = new Registry();
    const sent: OutgoingMessage[] = [];
    const deps = { config, onMessage: async () => {}, log: silentLog, store, metrics: { registry }, outbox: { send: async (m: OutgoingMessage) => void sent.push(m) } };
    const contribution = await dingtalkFeature.setup(deps as unknown as Parameters<typeof dingtalkFeature.setup>[0]);
    const adapter = contribution.adapters![0]!;
    await adapter.send({ to: GROUP, reply: text('one') }); // 8 of 10: the 80 % warning
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels['platform'] === 'dingtalk')?.value;
    expect(await value('opsbot_platform_calls_total')).toBe(1);
    expect(await value('opsbot_platform_calls_month')).toBe(8);
    expect(await value('opsbot_platform_quota_remaining')).toBe(2);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: 'dingtalk:cidAdmin==', reply: { kind: 'text' } });
    expect((sent[0]!.reply as { text: string }).text).toContain('8 of 10');
    await adapter.stop();
  });
});
