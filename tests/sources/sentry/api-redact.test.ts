// Item 2 of the hardening issue: an upstream error that echoes the request must not carry our token
// into the error message (which service.ts turns into the chat reply).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../src/core/errors.ts';
import { t } from '../../../src/core/i18n.ts';
import { Redactor } from '../../../src/core/redact.ts';
import type { SentryAlerts } from '../../../src/sources/sentry/alerts.ts';
import { SentryApi } from '../../../src/sources/sentry/api.ts';
import '../../../src/sources/sentry/messages.ts';
import { SentryService } from '../../../src/sources/sentry/service.ts';
import { FakeSentry } from './fake-sentry.ts';
import { botConfig, sentryConfig, silentLog } from './helpers.ts';

const TOKEN = 'sntrys_echoed_token_0123456789';
let fake: FakeSentry;
beforeAll(async () => {
  fake = await new FakeSentry().start();
});
afterAll(() => fake.stop());

const echo = (status: number) => ({ status, body: { detail: `bad request; received headers: authorization: Bearer ${TOKEN}; accept: application/json` } });

describe('Sentry errors carry no secret', () => {
  it('the UpstreamError message has the token redacted and stays short', async () => {
    const api = new SentryApi({ url: fake.url, org: 'acme', authToken: TOKEN });
    fake.answers.push(echo(400));
    const err = (await api.resolve('42').catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).toContain('bad request');
    fake.answers.push({ status: 500, body: { detail: 'x'.repeat(5000) } });
    const long = (await api.resolve('42').catch((e: unknown) => e)) as Error;
    expect(long.message.length).toBeLessThan(400);
  });

  it('a configured secret other than our token is redacted too (via the redactor option)', async () => {
    const api = new SentryApi({ url: fake.url, org: 'acme', authToken: TOKEN }, { redactor: new Redactor(['other-secret-value']) });
    fake.answers.push({ status: 400, body: { detail: 'echo: other-secret-value' } });
    const err = (await api.resolve('42').catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('other-secret-value');
  });

  it('the chat text /sentry resolve answers with has no token', async () => {
    const api = new SentryApi({ url: fake.url, org: 'acme', authToken: TOKEN });
    const service = new SentryService(api, {} as SentryAlerts, { config: botConfig(), sentry: sentryConfig({ url: fake.url }), log: silentLog });
    fake.answers.push(echo(400));
    const err = await service.act({ action: 'resolve', issueId: '42', by: { id: 'alice', name: 'Alice' } }, (k, v) => t('en', k, v)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    const shown = (err as UserFacingError).userMessage ?? '';
    expect(shown).toContain('Sentry refused');
    expect(shown).not.toContain(TOKEN);
  });
});
