import { describe, expect, it } from 'vitest';
import { BadRequestError, UnsupportedMediaError, VerificationError } from '../../../src/core/errors.ts';
import { gitlabDedupeKey } from '../../../src/sources/gitlab/routes.ts';
import { gitlabConfigSchema } from '../../../src/sources/gitlab/config.ts';
import { fixtureJson } from './fake-gitlab.ts';
import { fixtureBytes, fixtureHeaders, fixtureRequest, rawRequest, SECRET, WEBHOOK_FIXTURES } from './helpers.ts';
import { CHAT, harness } from './harness.ts';

describe('POST /webhooks/gitlab', () => {
  it('covers every webhook fixture', () => {
    expect(WEBHOOK_FIXTURES.sort()).toEqual([
      'deployment-success', 'job-created', 'job-failed', 'merge-request-merged', 'merge-request-open', 'pipeline-failed',
      'pipeline-running', 'pipeline-success', 'push', 'release-create', 'tag-push-create', 'tag-push-delete',
    ]);
  });

  it.each(WEBHOOK_FIXTURES)('%s: right token → 200 stored; wrong token → 401, nothing stored', async (name) => {
    const h = harness();
    const bad = await h.route.handle(fixtureRequest(name, { 'x-gitlab-token': 'wrong' })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(VerificationError);
    expect(await h.deliveries.collection.count()).toBe(0);
    const ok = await h.route.handle(fixtureRequest(name));
    expect(ok).toEqual({ status: 200, body: { ok: true, duplicate: false } });
    const stored = await h.deliveries.collection.list();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.source).toBe('gitlab');
    expect(stored[0]!.dedupeKey).toBe(`idem:${fixtureHeaders(`${name}.headers.json`)['idempotency-key']}`);
    expect(stored[0]!.headers['x-gitlab-token']).toBeUndefined();
    expect(stored[0]!.body).toBe(fixtureBytes(`${name}.json`).toString('utf8'));
    await h.deliveries.idle();
  });

  it('accepts the signed fixture with a signing token and no secret', async () => {
    const v = fixtureJson('signing-vectors.json').signing_token_self_computed;
    const cfg = gitlabConfigSchema.parse({ url: 'https://gitlab.example.com', token: 't', signingToken: v.signing_token });
    const h = harness({ gitlab: cfg });
    h.services.clock = () => Number(v.webhook_timestamp) * 1000 + 5000;
    // the route reads the clock given at setup: rebuild with the right clock
    const { gitlabWebhookRoute } = await import('../../../src/sources/gitlab/routes.ts');
    const route = gitlabWebhookRoute({ config: cfg, deliveries: h.deliveries, log: h.services.log, clock: h.services.clock });
    const req = rawRequest(fixtureBytes('pipeline-success.json'), fixtureHeaders('pipeline-success.signed.headers.json'));
    expect((await route.handle(req)).status).toBe(200);
    const stale = gitlabWebhookRoute({ config: cfg, deliveries: h.deliveries, log: h.services.log, clock: () => Number(v.webhook_timestamp) * 1000 + 600_000 });
    await expect(stale.handle(req)).rejects.toThrow('stale webhook-timestamp');
  });

  it('missing token → 401 with its own reason', async () => {
    const h = harness();
    await expect(h.route.handle(fixtureRequest('push', { 'x-gitlab-token': undefined }))).rejects.toThrow('missing X-Gitlab-Token');
  });

  it('415 for a non-JSON content type (after verification)', async () => {
    const h = harness();
    await expect(h.route.handle(fixtureRequest('push', { 'content-type': 'application/x-www-form-urlencoded' }))).rejects.toBeInstanceOf(UnsupportedMediaError);
    await expect(h.route.handle(fixtureRequest('push', { 'content-type': undefined }))).rejects.toBeInstanceOf(UnsupportedMediaError);
    // verification first: a wrong token with a wrong type is 401
    await expect(h.route.handle(fixtureRequest('push', { 'content-type': 'text/plain', 'x-gitlab-token': 'x' }))).rejects.toBeInstanceOf(VerificationError);
    expect(await h.deliveries.collection.count()).toBe(0);
  });

  it('400 for truncated JSON, a non-object and a body without object_kind', async () => {
    const h = harness();
    const body = fixtureBytes('pipeline-failed.json');
    const headers = fixtureHeaders('pipeline-failed.headers.json');
    const e1 = await h.route.handle(rawRequest(body.subarray(0, body.length / 2), headers)).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(BadRequestError);
    expect((e1 as Error).message).toMatch(/^malformed JSON/);
    await expect(h.route.handle(rawRequest(Buffer.from('[1]'), headers))).rejects.toThrow('body is not a JSON object');
    await expect(h.route.handle(rawRequest(Buffer.from('{"text":"custom template"}'), headers))).rejects.toThrow(/object_kind/);
    expect(await h.deliveries.collection.count()).toBe(0);
  });

  it('a repeated delivery is accepted once and processed once', async () => {
    const h = harness();
    expect((await h.route.handle(fixtureRequest('pipeline-failed'))).body).toEqual({ ok: true, duplicate: false });
    // a retry: new X-Gitlab-Webhook-UUID, same Idempotency-Key
    const again = await h.route.handle(fixtureRequest('pipeline-failed', { 'x-gitlab-webhook-uuid': 'another' }));
    expect(again).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    await h.deliveries.idle();
    expect(await h.deliveries.collection.count()).toBe(1);
    expect(h.events.filter((e) => e.type === 'gitlab.pipeline.failed')).toHaveLength(1);
    expect(h.sent.filter((m) => m.to === CHAT)).toHaveLength(1);
  });

  it('unknown kinds are stored and acknowledged', async () => {
    const h = harness();
    const headers = { ...fixtureHeaders('push.headers.json'), 'x-gitlab-event': 'Wiki Page Hook', 'idempotency-key': 'wiki-1' };
    const res = await h.route.handle(rawRequest(Buffer.from('{"object_kind":"wiki_page","object_attributes":{}}'), headers));
    expect(res.status).toBe(200);
    const member = { ...headers, 'x-gitlab-event': 'Member Hook', 'idempotency-key': 'member-1' };
    expect((await h.route.handle(rawRequest(Buffer.from('{"event_name":"user_add_to_group"}'), member))).status).toBe(200);
    await h.deliveries.idle();
    const kinds = (await h.deliveries.collection.list()).map((d) => [d.kind, d.status]);
    expect(kinds).toEqual([['wiki_page', 'processed'], ['member', 'processed']]);
    expect(h.sent).toHaveLength(0);
  });

  it('dedupe keys: Idempotency-Key, else event UUID + body, never the per-attempt webhook UUID', () => {
    const body = Buffer.from('{}');
    expect(gitlabDedupeKey({ 'idempotency-key': 'k', 'x-gitlab-event-uuid': 'u' }, body)).toBe('idem:k');
    expect(gitlabDedupeKey({ 'webhook-id': 'w' }, body)).toBe('idem:w');
    const a = gitlabDedupeKey({ 'x-gitlab-event-uuid': 'u', 'x-gitlab-webhook-uuid': '1' }, body);
    expect(gitlabDedupeKey({ 'x-gitlab-event-uuid': 'u', 'x-gitlab-webhook-uuid': '2' }, body)).toBe(a);
    expect(a).toMatch(/^event-uuid:u:/);
    expect(gitlabDedupeKey({ 'x-gitlab-webhook-uuid': '1' }, body)).toBe(gitlabDedupeKey({ 'x-gitlab-webhook-uuid': '2' }, body));
  });

  it('a signed request is keyed by its signed webhook-id: a replay with another Idempotency-Key is a duplicate', async () => {
    const v = fixtureJson('signing-vectors.json').signing_token_self_computed;
    const cfg = gitlabConfigSchema.parse({ url: 'https://gitlab.example.com', token: 't', signingToken: v.signing_token });
    const h = harness({ gitlab: cfg });
    const { gitlabWebhookRoute } = await import('../../../src/sources/gitlab/routes.ts');
    const route = gitlabWebhookRoute({ config: cfg, deliveries: h.deliveries, log: h.services.log, clock: () => Number(v.webhook_timestamp) * 1000 + 5000 });
    const headers = fixtureHeaders('pipeline-success.signed.headers.json');
    const body = fixtureBytes('pipeline-success.json');
    expect((await route.handle(rawRequest(body, headers))).body).toEqual({ ok: true, duplicate: false });
    for (const idem of ['changed', undefined]) {
      const again = await route.handle(rawRequest(body, { ...headers, 'idempotency-key': idem, 'x-gitlab-event-uuid': 'other' }));
      expect(again.body).toEqual({ ok: true, duplicate: true });
    }
    const [d] = await h.deliveries.collection.list();
    expect(d!.dedupeKey).toBe(`idem:${headers['webhook-id']}`);
    expect(gitlabDedupeKey({ 'idempotency-key': 'hint', 'webhook-id': 'w' }, Buffer.from('{}'), { signed: true })).toBe('idem:w');
  });

  it.each([
    ['{"object_kind":"pipeline"}', /not a GitLab pipeline payload: object_attributes/],
    ['{"object_kind":"pipeline","object_attributes":{"id":1}}', /not a GitLab pipeline payload: object_attributes\.ref/],
    ['{"object_kind":"merge_request","project":{"id":1}}', /not a GitLab merge_request payload: object_attributes/],
    ['{"object_kind":"build"}', /not a GitLab build payload: build_id/],
    ['{"object_kind":"push","ref":"refs/heads/main"}', /not a GitLab push payload: before/],
  ])('a verified body of the wrong shape is 400 with the reason: %s', async (text, why) => {
    const h = harness();
    const err = await h.route.handle(rawRequest(Buffer.from(text), fixtureHeaders('pipeline-failed.headers.json'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(why);
    expect(await h.deliveries.collection.count()).toBe(0);
  });

  it('the secret is compared exactly (from the vectors)', async () => {
    const h = harness();
    expect(SECRET).toBe(fixtureJson('signing-vectors.json').secret_token.valid_value);
    await expect(h.route.handle(fixtureRequest('push', { 'x-gitlab-token': SECRET.toUpperCase() }))).rejects.toThrow('invalid X-Gitlab-Token');
  });
});
