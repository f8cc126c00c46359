import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/core/errors.ts';
import { SentryApi } from '../../../src/sources/sentry/api.ts';
import { FakeSentry } from './fake-sentry.ts';

let fake: FakeSentry;
let api: SentryApi;
beforeAll(async () => {
  fake = await new FakeSentry().start();
  api = new SentryApi({ url: fake.url + '/', org: 'acme', authToken: 'secret-token' }, { clock: () => 1_700_000_000_000 });
});
afterAll(() => fake.stop());

const last = () => fake.requests.at(-1)!;

describe('SentryApi', () => {
  it('resolve / unresolve: PUT the org-scoped issue route with the bearer token', async () => {
    await api.resolve('42');
    expect(last()).toEqual({ method: 'PUT', url: '/api/0/organizations/acme/issues/42/', auth: 'Bearer secret-token', body: { status: 'resolved' } });
    await api.unresolve('42');
    expect(last().body).toEqual({ status: 'unresolved' });
  });

  it('ignore for minutes, until a count, forever', async () => {
    await api.ignore('42', { minutes: 30 });
    expect(last().body).toEqual({ status: 'ignored', statusDetails: { ignoreDuration: 30 } });
    await api.ignore('42', { count: 100 });
    expect(last().body).toEqual({ status: 'ignored', statusDetails: { ignoreCount: 100 } });
    await api.ignore('42', 'forever');
    expect(last().body).toEqual({ status: 'ignored', substatus: 'archived_forever' });
  });

  it('assign and unassign', async () => {
    await api.assign('42', 'user:7');
    expect(last().body).toEqual({ assignedTo: 'user:7' });
    await api.assign('42', null);
    expect(last().body).toEqual({ assignedTo: null });
  });

  it('notes, releases and deploys', async () => {
    await api.addNote('42', 'hi');
    expect(last()).toMatchObject({ method: 'POST', url: '/api/0/organizations/acme/issues/42/notes/', body: { text: 'hi' } });
    fake.answers.push({ status: 208, body: {} });
    await api.ensureRelease('demo@1.1.0+45', ['demo-web']);
    expect(last()).toMatchObject({ url: '/api/0/organizations/acme/releases/', body: { version: 'demo@1.1.0+45', projects: ['demo-web'] } });
    fake.answers.push({ status: 201, body: { id: '1' } });
    await api.createDeploy('demo@1.1.0+45', { environment: 'prod' });
    expect(last().url).toBe('/api/0/organizations/acme/releases/demo%401.1.0%2B45/deploys/');
  });

  it.each([
    [401, { detail: 'Invalid token' }, {}, 'Invalid token', undefined],
    [403, { detail: 'You do not have permission to perform this action.' }, {}, 'permission', undefined],
    [404, { detail: 'The requested resource does not exist' }, {}, 'does not exist', undefined],
    [400, { assignedTo: ['Cannot assign to non-team member'] }, {}, 'assignedTo: Cannot assign to non-team member', undefined],
    [429, { detail: 'You are attempting to use this endpoint too frequently. Limit is 5 requests in 1 seconds' }, { 'retry-after': '7' }, 'too frequently', 7],
    [429, { detail: 'slow down' }, { 'x-sentry-rate-limit-reset': '1700000003' }, 'slow down', 3],
    [429, { detail: 'slow down' }, {}, 'slow down', 1],
  ])('HTTP %i → UpstreamError with a clear message', async (status, body, headers, msg, retry) => {
    fake.answers.push({ status, body, headers });
    const err = await api.resolve('42').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(status);
    expect((err as UpstreamError).message).toContain(msg);
    expect((err as UpstreamError).retryAfterSeconds).toBe(retry);
  });

  it('a connection failure is an UpstreamError too', async () => {
    const dead = new SentryApi({ url: 'http://127.0.0.1:1', org: 'acme', authToken: 't' });
    await expect(dead.resolve('1')).rejects.toBeInstanceOf(UpstreamError);
  });
});
