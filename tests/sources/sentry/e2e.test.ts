import { describe, expect, it } from 'vitest';
import { DeliveryPipeline } from '../../../src/core/deliveries.ts';
import { EventBus } from '../../../src/core/events.ts';
import { createSentry } from '../../../src/sources/sentry/index.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { botConfig, FakeOutbox, peopleOf, rawRequest, sentryConfig, silentLog, vectors } from './helpers.ts';
import { mountSource } from '../../../src/core/mount-source.ts';

describe('done when (issue 7)', () => {
  it('a signed event_alert → 200 at once → one card in the team chat naming the issue and @mentioning owners; repeat → nothing; forged → 401', async () => {
    const store = new MemoryStore();
    const deliveries = new DeliveryPipeline(store, silentLog);
    const outbox = new FakeOutbox();
    const events = new EventBus();
    const config = botConfig();
    const feature = createSentry({ config, store, events, outbox, log: silentLog, locale: 'zh-CN', clock: Date.now, people: peopleOf(config) }, { sentry: sentryConfig(), tickMs: 0 });
    const source = feature.sources.find((s) => s.path === '/webhooks/sentry')!;
    const route = mountSource(source, { deliveries, events, log: silentLog });
    const i = vectors.fixture_wire_bodies.items.find((x) => x.resource === 'event_alert')!;
    const at = Number(i.headers['Sentry-Hook-Timestamp']) * 1000;

    const ans = await route.handle(rawRequest(i.body, i.headers, {}, at));
    expect(ans.status).toBe(200);
    await deliveries.idle();
    const pay = outbox.to('dingtalk:cid-pay');
    expect(pay).toHaveLength(1);
    expect(JSON.stringify(pay[0]!.reply)).toContain('ReferenceError: heck is not defined');
    expect(JSON.stringify(pay[0]!.reply)).toContain('确认');
    expect(pay[0]!.mentions).toEqual(['ding-alice', 'ding-bob']);

    expect((await route.handle(rawRequest(i.body, i.headers, {}, at))).body).toEqual({ ok: true, duplicate: true });
    await deliveries.idle();
    expect(outbox.to('dingtalk:cid-pay')).toHaveLength(1);

    await expect(route.handle(rawRequest(i.body.replace('heck', 'hack'), i.headers, {}, at))).rejects.toThrow('bad signature');
    await deliveries.idle();
    expect(outbox.sent).toHaveLength(2); // the two team chats, once each
    feature.stop();
  });
});
