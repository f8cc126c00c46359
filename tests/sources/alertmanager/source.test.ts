import { describe, expect, it } from 'vitest';
import { sourceRoute } from '../../../src/core/mount-source.ts';
import { alertmanagerSources, alertmanagerSource, fingerprintOf, notificationDedupeKey } from '../../../src/sources/alertmanager/source.ts';
import { parseWebhookMessage } from '../../../src/sources/alertmanager/shapes.ts';
import { rawRequest, silentLog, StubDeliveries } from '../sentry/helpers.ts';
import { amConfig, amFixture, amFixtureText, TOKEN } from './helpers.ts';

const parsed = (name: string) => {
  const r = parseWebhookMessage(amFixture(name));
  if (!r.ok) throw new Error(r.reason);
  return r.message;
};

describe('Alertmanager webhook source', () => {
  it('accepts the configured bearer token, refuses a wrong or missing one with 401 and stores nothing', async () => {
    const deliveries = new StubDeliveries();
    const route = sourceRoute(alertmanagerSource(amConfig()), { deliveries, log: silentLog });
    const body = amFixtureText('firing-v4.json');
    expect((await route.handle(rawRequest(body, { authorization: `Bearer ${TOKEN}` }))).status).toBe(200);
    await expect(route.handle(rawRequest(body, { authorization: 'Bearer nope' }))).rejects.toMatchObject({ name: 'VerificationError', message: 'bad token' });
    await expect(route.handle(rawRequest(body))).rejects.toMatchObject({ name: 'VerificationError', message: 'missing Authorization' });
    expect(deliveries.stored.size).toBe(1);
  });

  it('accepts basic auth when configured (http_config.basic_auth)', async () => {
    const deliveries = new StubDeliveries();
    const route = sourceRoute(alertmanagerSource(amConfig({ token: undefined, basicAuth: { username: 'am', password: 'pw' } })), { deliveries, log: silentLog });
    const ok = `Basic ${Buffer.from('am:pw').toString('base64')}`;
    expect((await route.handle(rawRequest(amFixtureText('firing-v4.json'), { authorization: ok }))).status).toBe(200);
    await expect(route.handle(rawRequest(amFixtureText('firing-v4.json'), { authorization: `Basic ${Buffer.from('am:no').toString('base64')}` }))).rejects.toThrow('bad credentials');
    await expect(route.handle(rawRequest(amFixtureText('firing-v4.json'), { authorization: `Bearer ${TOKEN}` }))).rejects.toThrow('bearer token not configured');
  });

  it('is not mounted without a token or basic auth', () => {
    expect(alertmanagerSources(amConfig({ token: undefined }))).toEqual([]);
    expect(alertmanagerSources(amConfig()).map((s) => s.path)).toEqual(['/webhooks/alertmanager']);
  });

  it('a repeat (same alerts, any order) is a duplicate; a resolution is a new delivery', async () => {
    expect(notificationDedupeKey(parsed('repeat-v4.json'))).toBe(notificationDedupeKey(parsed('firing-v4.json')));
    expect(notificationDedupeKey(parsed('resolved-v4.json'))).not.toBe(notificationDedupeKey(parsed('firing-v4.json')));
    const deliveries = new StubDeliveries();
    const route = sourceRoute(alertmanagerSource(amConfig()), { deliveries, log: silentLog });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await route.handle(rawRequest(amFixtureText('firing-v4.json'), auth))).body).toEqual({ ok: true, duplicate: false });
    expect((await route.handle(rawRequest(amFixtureText('repeat-v4.json'), auth))).body).toEqual({ ok: true, duplicate: true });
    expect((await route.handle(rawRequest(amFixtureText('resolved-v4.json'), auth))).body).toEqual({ ok: true, duplicate: false });
  });

  it('a verified body that is not a webhook message is a 400 with the reason', async () => {
    const route = sourceRoute(alertmanagerSource(amConfig()), { deliveries: new StubDeliveries(), log: silentLog });
    await expect(route.handle(rawRequest('{"status":"firing"}', { authorization: `Bearer ${TOKEN}` }))).rejects.toMatchObject({ name: 'BadRequestError', message: expect.stringContaining('alerts') });
  });

  it("takes Grafana's Alertmanager-compatible contact-point body", () => {
    const m = parsed('grafana.json');
    expect(m.version).toBe('1');
    expect(m.alerts[0]!.labels.alertname).toBe('DiskFull');
    expect(fingerprintOf(m.alerts[0]!)).toBe('9f8e7d6c5b4a3921');
    // No fingerprint: a stable hash of the sorted labels stands in.
    expect(fingerprintOf({ fingerprint: '', labels: { b: '2', a: '1' } })).toBe(fingerprintOf({ fingerprint: '', labels: { a: '1', b: '2' } }));
  });
});
