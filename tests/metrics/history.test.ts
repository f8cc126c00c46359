// The store readers behind the measures (src/metrics/history.ts): Sentry's alert cards as alert records,
// change times from GitLab-made releases and from tags on a product's project (via the metrics
// feature's `gitlab.tag.created` subscription), and the swappable alerts-history provider.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { EventBus } from '../../src/core/events.ts';
import { lookupOf, provide, type FeatureDeps } from '../../src/core/feature.ts';
import { People } from '../../src/core/people.ts';
import type { Release } from '../../src/deploy/releases.ts';
import { metricsFeature } from '../../src/metrics/feature.ts';
import { ALERTS_HISTORY, changeTimes, recordChangeTime, sentryAlertRecord, type AlertRecord } from '../../src/metrics/history.ts';
import { STATS, type StatsService } from '../../src/metrics/stats.ts';
import { PLATFORM_IDENTITIES } from '../../src/platforms.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import type { AlertState } from '../../src/sources/sentry/state.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const base: AlertState = {
  key: '42', kind: 'issue', title: 'boom', count: 5, status: 'open', level: 'fatal', environment: 'prod', release: 'v1', product: 'demo',
  firstSeen: '2026-11-23T10:00:00.000000Z', paging: false, chats: [], owners: [], history: [], posted: { 'test:x': Date.parse('2026-11-23T10:01:00Z') },
  escalations: 0, updatedAt: Date.parse('2026-11-23T12:00:00Z'),
};

describe('sentryAlertRecord', () => {
  it('maps the card state: opened from firstSeen, resolved/acked at the last update, bounded severity', () => {
    expect(sentryAlertRecord(base)).toEqual({
      key: '42', source: 'sentry', title: 'boom', severity: 'critical', product: 'demo', env: 'prod', release: 'v1', openedAt: Date.parse('2026-11-23T10:00:00Z'), count: 5,
    });
    expect(sentryAlertRecord({ ...base, status: 'resolved', level: 'debug' })).toMatchObject({ severity: 'info', resolvedAt: base.updatedAt });
    expect(sentryAlertRecord({ ...base, status: 'acked', level: 'weird' })).toMatchObject({ severity: 'error', acknowledgedAt: base.updatedAt });
    // No firstSeen (event_alert): the first post stands in.
    const { firstSeen: _drop, ...noFirstSeen } = base;
    expect(sentryAlertRecord(noFirstSeen).openedAt).toBe(Date.parse('2026-11-23T10:01:00Z'));
  });
});

describe('change times', () => {
  it('come from releases GitLab made and from recorded tags, the earliest winning', async () => {
    const store = new MemoryStore();
    const releases = store.collection<Release>('releases', { tier: 'hot' });
    await releases.put('demo/v2', { product: 'demo', version: 'v2', components: {}, source: 'chat', createdBy: 'gitlab:alice', createdAt: 2_000 });
    await releases.put('demo/v3', { product: 'demo', version: 'v3', components: {}, source: 'chat', createdBy: 'alice', createdAt: 3_000 });
    await recordChangeTime(store, { product: 'demo', release: 'v2', at: 1_500 });
    await recordChangeTime(store, { product: 'demo', release: 'v4', at: 4_000 });
    await recordChangeTime(store, { product: 'demo', release: 'v4', at: 4_500 }); // first tag wins
    expect((await changeTimes(store)).sort((a, b) => a.at - b.at)).toEqual([
      { product: 'demo', release: 'v2', at: 1_500 },
      { product: 'demo', release: 'v4', at: 4_000 },
    ]);
  });
});

function featureDeps(extra: { alerts?: AlertRecord[] } = {}) {
  const config = configSchema.parse({
    products: {
      demo: { gitlabProject: 'group/demo', componentProjects: { app: 'group/app' }, components: ['app'], environments: { 'env-1': { engine: { type: 'command', run: ['true'] } } } },
    },
  });
  const store = new MemoryStore();
  const events = new EventBus((err) => {
    throw err;
  });
  const services = extra.alerts ? lookupOf(provide(ALERTS_HISTORY, async () => extra.alerts!)) : lookupOf();
  const deps = {
    config, store, events, log: pino({ level: 'silent' }), locale: 'en', clock: () => Date.parse('2026-11-30T00:00:00Z'),
    outbox: { send: async () => {} }, metrics: createMetrics(), people: new People(config, PLATFORM_IDENTITIES), services,
    coordination: {} as FeatureDeps['coordination'], onMessage: async () => {},
  } as unknown as FeatureDeps;
  return { deps, store, events };
}

describe('metrics feature', () => {
  it('records a tag on the product project (or the merge it tags) as the change time of that release; component tags are left to releasesFromTags', async () => {
    const { deps, store, events } = featureDeps();
    const c = await metricsFeature.setup(deps);
    const tag = (path: string, name: string, at: number) => events.emit({ type: 'gitlab.tag.created', payload: { project: { id: 1, path }, tag: name }, occurredAt: at });
    await tag('group/demo', 'v1.3.0', 1_000);
    await tag('group/app', 'app-7', 2_000);
    expect(await changeTimes(store)).toEqual([{ product: 'demo', release: 'v1.3.0', at: 1_000 }]);
    // A tag on a merge commit we saw: the change began at the merge.
    await events.emit({ type: 'gitlab.merge_request.merged', payload: { project: { id: 1, path: 'group/demo' }, id: 9, iid: 3, action: 'merge', state: 'merged', title: 'fix', sourceBranch: 'fix', targetBranch: 'main', mergeCommitSha: 'abc' }, occurredAt: 3_000 });
    await events.emit({ type: 'gitlab.tag.created', payload: { project: { id: 1, path: 'group/demo' }, tag: 'v1.4.0', sha: 'abc' }, occurredAt: 5_000 });
    expect((await changeTimes(store)).find((x) => x.release === 'v1.4.0')?.at).toBe(3_000);
    await c.stop?.();
  });

  it('reads alerts from a provided ALERTS_HISTORY instead of Sentry', async () => {
    const opened = Date.parse('2026-11-29T10:00:00Z');
    const { deps } = featureDeps({ alerts: [{ key: 'am-1', source: 'alertmanager', title: 'HighLatency', severity: 'warning', product: 'demo', openedAt: opened, resolvedAt: opened + 600_000, count: 2 }] });
    const c = await metricsFeature.setup(deps);
    const stats = c.provides!.find((p) => p.key.name === STATS.name)!.value as StatsService;
    const v = await stats.stats('demo', 7);
    expect(v.current.timeToRestoreMs).toBe(600_000);
    expect(v.noisy.map((a) => a.title)).toEqual(['HighLatency']);
  });
});
