import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeliveryPipeline } from '../../../src/core/deliveries.ts';
import { BadRequestError, UnsupportedMediaError, VerificationError } from '../../../src/core/errors.ts';
import { sentryRoutes } from '../../../src/sources/sentry/routes.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { fixtureText, rawRequest, sentryConfig, silentLog, StubDeliveries, vectors } from './helpers.ts';

const sign = (body: string): string => createHmac('sha256', vectors.client_secret).update(body).digest('hex');

function setup(over: Record<string, unknown> = {}) {
  const deliveries = new StubDeliveries();
  const [main, legacy] = sentryRoutes({ config: sentryConfig(over), deliveries, log: silentLog });
  return { deliveries, main: main!, legacy: legacy as NonNullable<typeof legacy> };
}

/** The fixture's own headers, with receivedAt at its (unsigned) timestamp so the skew check passes. */
function wire(i: (typeof vectors.fixture_wire_bodies.items)[number]) {
  return rawRequest(i.body, i.headers, {}, Number(i.headers['Sentry-Hook-Timestamp']) * 1000);
}

describe('POST /webhooks/sentry', () => {
  it('mounts the contract paths', () => {
    const { main, legacy } = setup();
    expect([main.method, main.path, legacy.path]).toEqual(['POST', '/webhooks/sentry', '/webhooks/sentry/legacy/:token']);
  });

  it.each(vectors.fixture_wire_bodies.items.map((i) => [i.file, i] as const))('stores and acknowledges %s', async (_f, i) => {
    const { main, deliveries } = setup();
    const ans = await main.handle(wire(i));
    expect(ans).toEqual({ status: 200, body: { ok: true, duplicate: false } });
    const [d] = [...deliveries.stored.values()];
    expect(d!.kind).toBe(`${i.resource}.${i.action}`);
    expect(d!.body).toBe(i.body);
    expect(d!.headers['sentry-hook-signature']).toBeUndefined();
  });

  it('by default the unsigned timestamp is not checked: fixture headers replayed later still verify', async () => {
    const { main } = setup();
    const i = vectors.fixture_wire_bodies.items[0]!;
    expect((await main.handle(rawRequest(i.body, i.headers))).status).toBe(200);
  });

  it('a retry with a new Request-ID is a duplicate (dedupe on payload identity)', async () => {
    const { main, deliveries } = setup();
    const i = vectors.fixture_wire_bodies.items.find((x) => x.resource === 'event_alert')!;
    await main.handle(wire(i));
    const again = await main.handle(rawRequest(i.body, { ...i.headers, 'Request-ID': 'ffffffffffffffffffffffffffffffff' }, {}, Number(i.headers['Sentry-Hook-Timestamp']) * 1000));
    expect(again.body).toEqual({ ok: true, duplicate: true });
    expect(deliveries.stored.size).toBe(1);
  });

  it('the same issue with different actions gets different keys', async () => {
    const { main, deliveries } = setup();
    for (const f of ['sentry-issue-created.json', 'sentry-issue-resolved-derived.json', 'sentry-issue-assigned-derived.json']) {
      const i = vectors.fixture_wire_bodies.items.find((x) => x.file === f)!;
      await main.handle(wire(i));
    }
    expect(deliveries.stored.size).toBe(3);
  });

  it('forged, unsigned and (with maxSkewSeconds) stale requests get 401 reasons and store nothing', async () => {
    const { main, deliveries } = setup({ maxSkewSeconds: 300 });
    const i = vectors.fixture_wire_bodies.items[0]!;
    const t = Number(i.headers['Sentry-Hook-Timestamp']) * 1000;
    const tampered = i.body.replace('triggered', 'triggereD');
    await expect(main.handle(rawRequest(tampered, i.headers, {}, t))).rejects.toThrow(new VerificationError('bad signature'));
    const { ['Sentry-Hook-Signature']: _s, ...unsigned } = i.headers;
    await expect(main.handle(rawRequest(i.body, unsigned, {}, t))).rejects.toThrow('missing Sentry-Hook-Signature');
    await expect(main.handle(rawRequest(i.body, i.headers, {}, t + 3_600_000))).rejects.toThrow('stale timestamp');
    expect(deliveries.stored.size).toBe(0);
  });

  it('unknown resources are stored and acknowledged', async () => {
    const { main, deliveries } = setup();
    const body = '{"action":"completed","installation":{"uuid":"x"},"data":{"seer":{"run":1}},"actor":{"type":"application","id":"sentry","name":"Sentry"}}';
    const ans = await main.handle(rawRequest(body, { 'sentry-hook-resource': 'seer', 'sentry-hook-signature': sign(body) }));
    expect(ans.status).toBe(200);
    expect([...deliveries.stored.values()][0]!.kind).toBe('seer.completed');
  });

  it('the resource comes from the signed body: a replay with another Sentry-Hook-Resource is still a duplicate', async () => {
    const { main, deliveries } = setup();
    const i = vectors.fixture_wire_bodies.items.find((x) => x.resource === 'event_alert')!;
    const t = Number(i.headers['Sentry-Hook-Timestamp']) * 1000;
    await main.handle(wire(i));
    for (const resource of ['issue', 'seer', '']) {
      const again = await main.handle(rawRequest(i.body, { ...i.headers, 'Sentry-Hook-Resource': resource }, {}, t));
      expect(again.body).toEqual({ ok: true, duplicate: true });
    }
    const { ['Sentry-Hook-Resource']: _r, ...noResource } = i.headers;
    expect((await main.handle(rawRequest(i.body, noResource, {}, t))).body).toEqual({ ok: true, duplicate: true });
    expect(deliveries.stored.size).toBe(1);
    expect([...deliveries.stored.values()][0]!.kind).toBe('event_alert.triggered');
  });

  it('an unknown resource is keyed by its signed bytes, not by the header', async () => {
    const { main, deliveries } = setup();
    const body = '{"action":"completed","data":{"seer":{"run":2}}}';
    await main.handle(rawRequest(body, { 'sentry-hook-resource': 'seer', 'sentry-hook-signature': sign(body) }));
    const again = await main.handle(rawRequest(body, { 'sentry-hook-resource': 'size_analysis', 'sentry-hook-signature': sign(body) }));
    expect(again.body).toEqual({ ok: true, duplicate: true });
    expect(deliveries.stored.size).toBe(1);
  });

  it.each([
    ['{"action":"triggered"}', 'event_alert', /missing "data"/],
    ['{"data":{"event":{"event_id":"e1","issue_id":"1"}}}', 'event_alert', /missing "action"/],
    ['{"action":"triggered","data":{"event":{"issue_id":"1"}}}', 'event_alert', /event_alert payload: data\.event\.event_id/],
    ['{"action":"triggered","data":{}}', 'event_alert', /event_alert payload: data\.event/],
    ['{"action":"critical","data":{"metric_alert":{"identifier":"3"}}}', 'metric_alert', /metric_alert payload: data\.metric_alert\.alert_rule/],
    ['{"action":"created","data":{"issue":{"title":"x"}}}', 'issue', /issue payload: data\.issue\.id/],
    ['{"action":"created","data":{"comment_id":5}}', 'comment', /comment payload: data\.issue_id/],
  ])('a signed body of the wrong shape is 400 with the reason: %s', async (body, resource, why) => {
    const { main, deliveries } = setup();
    const err = await main.handle(rawRequest(body, { 'sentry-hook-resource': resource, 'sentry-hook-signature': sign(body) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(why);
    expect(deliveries.stored.size).toBe(0);
  });

  it('signed but malformed JSON → 400; wrong content type → 415; empty body → 200 and nothing stored', async () => {
    const { main, deliveries } = setup();
    await expect(main.handle(rawRequest('{"action":', { 'sentry-hook-resource': 'issue', 'sentry-hook-signature': sign('{"action":') }))).rejects.toBeInstanceOf(BadRequestError);
    await expect(main.handle(rawRequest('[]', { 'sentry-hook-signature': sign('[]') }))).rejects.toBeInstanceOf(BadRequestError);
    await expect(main.handle(rawRequest('a=b', { 'content-type': 'application/x-www-form-urlencoded', 'sentry-hook-signature': sign('a=b') }))).rejects.toBeInstanceOf(UnsupportedMediaError);
    const empty = vectors.vectors.find((v) => v.name === 'empty-body')!;
    expect((await main.handle(rawRequest('', { 'sentry-hook-signature': empty.signature }))).status).toBe(200);
    expect(deliveries.stored.size).toBe(0);
  });

  it('works with the real delivery pipeline: persisted before the answer, processed once', async () => {
    const store = new MemoryStore();
    const pipeline = new DeliveryPipeline(store, silentLog);
    const seen: string[] = [];
    pipeline.onProcess('sentry', async (d) => void seen.push(d.kind));
    const [main] = sentryRoutes({ config: sentryConfig(), deliveries: pipeline, log: silentLog });
    const i = vectors.fixture_wire_bodies.items[0]!;
    await main!.handle(wire(i));
    expect(await pipeline.collection.count()).toBe(1);
    await main!.handle(wire(i));
    await pipeline.idle();
    expect(seen).toEqual(['event_alert.triggered']);
  });
});

describe('POST /webhooks/sentry/legacy/:token', () => {
  const body = fixtureText('sentry-legacy-webhook-plugin.json');

  it('accepts the right token, dedupes the repeat', async () => {
    const { legacy, deliveries } = setup();
    const ok = await legacy.handle(rawRequest(body, {}, { token: 'legacy-token-0123456789abcdef' }));
    expect(ok.body).toEqual({ ok: true, duplicate: false });
    const again = await legacy.handle(rawRequest(body, {}, { token: 'legacy-token-0123456789abcdef' }));
    expect(again.body).toEqual({ ok: true, duplicate: true });
    expect([...deliveries.stored.values()][0]!.kind).toBe('legacy.triggered');
  });

  it('401 for a wrong token; not mounted without a legacy token', async () => {
    const { legacy, deliveries } = setup();
    await expect(legacy.handle(rawRequest(body, {}, { token: 'legacy-token-0123456789abcdeX' }))).rejects.toThrow('bad token');
    const off = setup({ legacyToken: undefined });
    expect(off.legacy).toBeUndefined(); // not mounted → 404
    expect(deliveries.stored.size).toBe(0);
  });
});
