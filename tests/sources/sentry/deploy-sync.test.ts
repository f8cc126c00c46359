import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.ts';
import { SentryApi } from '../../../src/sources/sentry/api.ts';
import { registerDeploySync, reportDeploy, sentryVersion } from '../../../src/sources/sentry/deploy-sync.ts';
import { FakeSentry } from './fake-sentry.ts';
import { botConfig, sentryConfig, silentLog } from './helpers.ts';

let fake: FakeSentry;
beforeAll(async () => {
  fake = await new FakeSentry().start();
});
afterAll(() => fake.stop());

const task = { id: '12', product: 'demo', release: 'v1.1.0', env: 'prod', state: 'succeeded', kind: 'deploy' };

describe('deploys into Sentry', () => {
  it('a succeeded deploy creates the release and a deploy for the environment', async () => {
    fake.requests.length = 0;
    const sentry = sentryConfig({ url: fake.url, releaseFormat: '{product}@{release}' });
    const events = new EventBus();
    registerDeploySync(events, new SentryApi(sentry), botConfig(), sentry, silentLog);
    fake.answers.push({ status: 201, body: {} }, { status: 201, body: { id: '1' } });
    await events.emit({ type: 'deploy.finished', payload: task, occurredAt: 1 });
    expect(fake.requests.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/api/0/organizations/acme/releases/'],
      ['POST', '/api/0/organizations/acme/releases/demo%40v1.1.0/deploys/'],
    ]);
    expect(fake.requests[0]!.body).toEqual({ version: 'demo@v1.1.0', projects: ['front-end', 'demo-web', 'meow', 'my-proj'] });
    expect(fake.requests[1]!.body).toMatchObject({ environment: 'prod', name: 'opsbot deploy 12' });
  });

  it('failed deploys, products without Sentry projects and Sentry refusals do nothing harmful', async () => {
    fake.requests.length = 0;
    const sentry = sentryConfig({ url: fake.url });
    const api = new SentryApi(sentry);
    expect(await reportDeploy(api, botConfig(), sentry, { ...task, state: 'failed' }, silentLog)).toBe(false);
    expect(await reportDeploy(api, botConfig(), sentry, { ...task, product: 'nope' }, silentLog)).toBe(false);
    expect(fake.requests).toHaveLength(0);
    fake.answers.push({ status: 403, body: { detail: 'no' } });
    expect(await reportDeploy(api, botConfig(), sentry, task, silentLog)).toBe(false);
    expect(sentryVersion('{release}', 'demo', 'v1')).toBe('v1');
  });
});
