// The operational series (src/metrics/operational.ts) fed from the core's hooks: every webhook answer
// and processing result once in mount-source.ts, command outcomes in the dispatcher, deploy counters
// and the duration histogram from `deploy.finished` (metrics feature).
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryPipeline, type StoredDelivery } from '../../src/core/deliveries.ts';
import { BadRequestError } from '../../src/core/errors.ts';
import { EventBus } from '../../src/core/events.ts';
import { mountSource } from '../../src/core/mount-source.ts';
import type { RawRequest } from '../../src/core/transport.ts';
import type { WebhookSource } from '../../src/core/webhook-source.ts';
import { DEPLOYS } from '../../src/deploy/service.ts';
import { webhookObserver } from '../../src/metrics/observers.ts';
import { registerQueueSeries } from '../../src/metrics/queue-series.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createTestBot } from '../helpers/test-bot.ts';
import { createOpsbot } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ChatAdapter } from '../../src/core/transport.ts';
import { WEEK_YAML } from './week.ts';

/** A made-up source: token header, `id` as the delivery id, `bad: true` fails processing. */
const source: WebhookSource = {
  name: 'fake',
  path: '/webhooks/fake',
  verify: (req) => (req.headers['x-token'] === 'right' ? { ok: true } : { ok: false, reason: 'invalid X-Token' }),
  identify: (_req, body) => {
    if (typeof body.id !== 'string') throw new BadRequestError('id missing');
    return { kind: 'thing', dedupeKey: body.id };
  },
  parse: (d) => {
    if ((JSON.parse(d.body) as { bad?: boolean }).bad) throw new Error('cannot map');
    return [];
  },
};

const request = (body: string, headers: Record<string, string> = { 'x-token': 'right', 'content-type': 'application/json' }, receivedAt = Date.now()): RawRequest => ({
  method: 'POST', headers, query: new URLSearchParams(), params: {}, rawBody: Buffer.from(body), receivedAt,
});

/** `name{labels} value` lines of one family, labels in the registry's order. */
async function samples(m: ReturnType<typeof createMetrics>, name: string): Promise<Record<string, number>> {
  const json = await m.registry.getSingleMetric(name)!.get();
  return Object.fromEntries(json.values.map((v) => [`${(v as { metricName?: string }).metricName ?? name}${JSON.stringify(v.labels)}`, v.value]));
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('webhook deliveries', () => {
  it('counts every answer by source and bounded outcome, and processing with its lag', async () => {
    const metrics = createMetrics();
    const log = pino({ level: 'silent' });
    const deliveries = new DeliveryPipeline(new MemoryStore(), log);
    const route = mountSource(source, { deliveries, events: new EventBus(), log, observer: webhookObserver(metrics), clock: () => 5_000 });
    await route.handle(request('{"id":"1"}', undefined, 3_000));
    await route.handle(request('{"id":"1"}', undefined, 3_000));
    await route.handle(request('{"id":"2","bad":true}', undefined, 4_000));
    await expect(route.handle(request('{"id":"3"}', { 'x-token': 'wrong', 'content-type': 'application/json' }))).rejects.toThrow('invalid X-Token');
    await expect(route.handle(request('{"id":', undefined))).rejects.toThrow(/malformed JSON/);
    await expect(route.handle(request('{"id":"4"}', { 'x-token': 'right', 'content-type': 'text/plain' }))).rejects.toThrow(/application\/json/);
    await deliveries.idle();
    expect(await samples(metrics, 'opsbot_webhook_deliveries_total')).toEqual({
      'opsbot_webhook_deliveries_total{"source":"fake","outcome":"accepted"}': 2,
      'opsbot_webhook_deliveries_total{"source":"fake","outcome":"duplicate"}': 1,
      'opsbot_webhook_deliveries_total{"source":"fake","outcome":"rejected_unauthorized"}': 1,
      'opsbot_webhook_deliveries_total{"source":"fake","outcome":"rejected_malformed"}': 1,
      'opsbot_webhook_deliveries_total{"source":"fake","outcome":"rejected_media_type"}': 1,
    });
    expect(await samples(metrics, 'opsbot_webhook_processed_total')).toEqual({
      'opsbot_webhook_processed_total{"source":"fake","outcome":"processed"}': 1,
      'opsbot_webhook_processed_total{"source":"fake","outcome":"failed"}': 1,
    });
    // Lag from the (injected) clock: 2 s and 1 s after receipt.
    const lag = await samples(metrics, 'opsbot_webhook_processing_lag_seconds');
    expect(lag['opsbot_webhook_processing_lag_seconds_sum{"source":"fake"}']).toBe(3);
    expect(lag['opsbot_webhook_processing_lag_seconds_count{"source":"fake"}']).toBe(2);
  });
});

describe('commands and deploys', () => {
  it('counts commands by name and outcome, deploy tasks by product/env/engine/result, and their duration', async () => {
    const tb = await createTestBot({ yaml: WEEK_YAML });
    stop = tb.stop;
    await tb.say('/deploy demo v1.0.0 env-1');
    await tb.say('/deploy demo v1.1.0 env-1');
    await tb.say('/deploy demo v1.2.0 env-1');
    await tb.opsbot.services.get(DEPLOYS)!.idle();
    await tb.say('/rollback demo env-1');
    await tb.opsbot.services.get(DEPLOYS)!.idle();
    await tb.say('/stats');
    await tb.say('/nosuchcommand');
    await tb.say('/deploy demo v1.0.0 env-1', { from: 'mallory' });
    const m = tb.opsbot.metrics;
    expect(await samples(m, 'opsbot_commands_total')).toMatchObject({
      'opsbot_commands_total{"command":"deploy","outcome":"ok"}': 3,
      'opsbot_commands_total{"command":"deploy","outcome":"denied"}': 1,
      'opsbot_commands_total{"command":"rollback","outcome":"ok"}': 1,
      'opsbot_commands_total{"command":"stats","outcome":"usage"}': 1,
      'opsbot_commands_total{"command":"-","outcome":"unknown"}': 1,
    });
    expect(await samples(m, 'opsbot_deploys_total')).toEqual({
      'opsbot_deploys_total{"product":"demo","env":"env-1","engine":"command","result":"succeeded"}': 2,
      'opsbot_deploys_total{"product":"demo","env":"env-1","engine":"command","result":"failed"}': 1,
    });
    expect(await samples(m, 'opsbot_rollbacks_total')).toEqual({ 'opsbot_rollbacks_total{"product":"demo","env":"env-1","result":"succeeded"}': 1 });
    const duration = await samples(m, 'opsbot_deploy_duration_seconds');
    expect(duration['opsbot_deploy_duration_seconds_count{"product":"demo","env":"env-1","result":"succeeded"}']).toBe(3);
    expect(duration['opsbot_deploy_duration_seconds_count{"product":"demo","env":"env-1","result":"failed"}']).toBe(1);
  });
});

describe('long connections', () => {
  it('marks the platform whose long connection this replica holds', async () => {
    const { config } = loadConfig({ file: 't.yaml', text: WEEK_YAML, env: {} });
    let started = false;
    // A stand-in for the DingTalk Stream / WeCom websocket adapters (holdsConnection: coordination.hold).
    const streaming: ChatAdapter = {
      platform: 'test', addressPrefixes: ['stream'], holdsConnection: true, routes: () => [],
      start: async () => void (started = true), stop: async () => void (started = false), send: async () => {},
    };
    const opsbot = await createOpsbot({ config, log: pino({ level: 'silent' }), store: new MemoryStore(), adapters: [streaming] });
    await opsbot.start();
    stop = () => opsbot.stop();
    expect(started).toBe(true);
    expect(await samples(opsbot.metrics, 'opsbot_chat_connection_held')).toEqual({ 'opsbot_chat_connection_held{"platform":"test"}': 1 });
  });
});

describe('webhook queue depth', () => {
  it('counts pending deliveries by source from the store at scrape time, cached', async () => {
    const metrics = createMetrics();
    const docs = [
      { source: 'gitlab', status: 'pending' }, { source: 'gitlab', status: 'pending' }, { source: 'sentry', status: 'pending' }, { source: 'sentry', status: 'processed' },
    ] as StoredDelivery[];
    let reads = 0;
    const store = new MemoryStore();
    const pipeline = new DeliveryPipeline(store, pino({ level: 'silent' }));
    for (const [i, d] of docs.entries()) await pipeline.collection.put(`d${i}`, { ...d, id: `d${i}` });
    const pending = () => (reads++, pipeline.pendingBySource());
    registerQueueSeries(metrics.registry, { pending, cacheSeconds: () => 60 });
    expect(await samples(metrics, 'opsbot_webhook_pending')).toEqual({ 'opsbot_webhook_pending{"source":"gitlab"}': 2, 'opsbot_webhook_pending{"source":"sentry"}': 1 });
    await metrics.registry.metrics();
    expect(reads).toBe(1);
  });
});
