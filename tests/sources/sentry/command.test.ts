import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import sentryCommand from '../../../commands/sentry.ts';
import { commands } from '../../../commands/index.ts';
import { cardToText, type Card } from '../../../cards/model.ts';
import { UserFacingError } from '../../../src/core/errors.ts';
import { EventBus } from '../../../src/core/events.ts';
import { StoreTimers } from '../../../src/core/timers.ts';
import type { IncomingMessage } from '../../../src/core/message.ts';
import type { Config } from '../../../src/config/schema.ts';
import { lookupOf, provide, type ServiceLookup } from '../../../src/core/feature.ts';
import { SENTRY } from '../../../src/sources/sentry/service.ts';
import { runCommand } from '../../helpers/command-context.ts';
import { createSentry, type SentryFeature } from '../../../src/sources/sentry/index.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { FakeSentry } from './fake-sentry.ts';
import { botConfig, FakeOutbox, peopleOf, sentryConfig, silentLog } from './helpers.ts';

let fake: FakeSentry;
beforeAll(async () => {
  fake = await new FakeSentry().start();
});
afterAll(() => fake.stop());

let services: ServiceLookup;
let config: Config;
let events: EventBus;
let feature: SentryFeature;
let outbox: FakeOutbox;
let timers: StoreTimers;
const now = { t: Date.UTC(2026, 10, 23, 10) };

beforeEach(async () => {
  fake.requests.length = 0;
  fake.answers.length = 0;
  outbox = new FakeOutbox(() => now.t);
  config = botConfig();
  const store = new MemoryStore();
  timers = new StoreTimers({ store, log: silentLog, clock: () => now.t, pollMs: 0 });
  events = new EventBus();
  const base = { config, store, events, outbox, log: silentLog, locale: 'en' as const, clock: () => now.t, timers, people: peopleOf(config) };
  feature = createSentry(base, {
    sentry: sentryConfig({ url: fake.url, users: { alice: 'user:11' }, escalation: { afterMinutes: 5, to: 'test:oncall' } }),
    tickMs: 0,
  });
  services = lookupOf(provide(SENTRY, feature.service));
  await base.events.emit({
    type: 'sentry.event_alert.triggered',
    occurredAt: now.t,
    payload: { resource: 'event_alert', action: 'triggered', actor: { type: 'application', id: 'sentry', name: 'Sentry' }, issue: { issueId: '42', projectSlug: 'demo-web', title: 'Boom', level: 'error', environment: 'prod' } },
  });
});

function run(text: string, who = { id: 'alice', name: 'Alice', roles: ['oncall'] }) {
  const [action, issueId, target] = text.split(' ');
  const args = sentryCommand.args.parse({ action, issueId, ...(target ? { target } : {}) });
  const message: IncomingMessage = { id: 'm1', platform: 'test', chat: 'test:c', chatType: 'group', sender: { platform: 'test', id: who.id }, text, receivedAt: now.t };
  return runCommand(sentryCommand, { args, message, person: who, locale: 'en', config, clock: () => now.t, services });
}
const lastCard = (): string => cardToText((outbox.to('dingtalk:cid-pay').at(-1)!.reply as { card: Card }).card);

describe('/sentry', () => {
  it('is registered, needs oncall or deployer, validates the issue id', () => {
    expect(commands.some((c) => c.name === 'sentry')).toBe(true);
    expect(sentryCommand.permission).toEqual({ roles: ['oncall', 'deployer'] });
    expect(sentryCommand.args.safeParse({ action: 'resolve', issueId: 'x y' }).success).toBe(false);
    expect(sentryCommand.args.safeParse({ action: 'explode', issueId: '1' }).success).toBe(false);
  });

  it('resolve: PUT to Sentry, card updated in place with who did it', async () => {
    const r = await run('resolve 42');
    expect(r).toEqual({ kind: 'text', text: 'Alice resolved 42 in Sentry' });
    expect(fake.requests[0]).toMatchObject({ method: 'PUT', url: '/api/0/organizations/acme/issues/42/', body: { status: 'resolved' } });
    expect(lastCard()).toContain('Resolved by Alice');
    expect(outbox.to('dingtalk:cid-pay').at(-1)!.cardKey).toBe('sentry:issue:42');
  });

  it("Sentry's echo of our own resolve (actor = our app) sends nothing more; a user's unresolve reopens the card", async () => {
    await run('resolve 42');
    const n = outbox.sent.length;
    const issue = { issueId: '42', projectSlug: 'demo-web', title: 'Boom', status: 'resolved' };
    await events.emit({ type: 'sentry.issue.resolved', occurredAt: now.t, payload: { resource: 'issue', action: 'resolved', actor: { type: 'application', id: 'uuid-ours', name: 'opsbot' }, issue } });
    expect(outbox.sent.length).toBe(n);
    expect(lastCard()).toContain('Resolved by Alice');
    await events.emit({ type: 'sentry.issue.unresolved', occurredAt: now.t, payload: { resource: 'issue', action: 'unresolved', actor: { type: 'user', id: '3', name: 'Dana' }, issue } });
    expect(outbox.sent.length).toBeGreaterThan(n);
    expect(lastCard()).toContain('State: Open');
  });

  it('Sentry refuses (403): the clicker sees why, the card is unchanged', async () => {
    const before = outbox.sent.length;
    fake.answers.push({ status: 403, body: { detail: 'You do not have permission to perform this action.' } });
    const err = await run('resolve 42').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as UserFacingError).userMessage).toContain('403');
    expect(outbox.sent.length).toBe(before);
    expect((await feature.reactions.alerts.states.get('42'))!.status).toBe('open');
  });

  it('429 tells when to retry', async () => {
    fake.answers.push({ status: 429, body: { detail: 'slow' }, headers: { 'retry-after': '4' } });
    const err = (await run('ignore 42 24h').catch((e: unknown) => e)) as UserFacingError;
    expect(err.userMessage).toContain('4');
  });

  it('ignore with durations; bad duration is a usage error', async () => {
    await run('ignore 42 24h');
    expect(fake.requests[0]!.body).toEqual({ status: 'ignored', statusDetails: { ignoreDuration: 1440 } });
    expect(lastCard()).toContain('Ignored by Alice');
    await expect(run('ignore 42 soon')).rejects.toBeInstanceOf(UserFacingError);
  });

  it('ack: recorded by opsbot, assigns to the clicker in Sentry, stops escalation', async () => {
    await run('ack 42');
    expect(fake.requests[0]!.body).toEqual({ assignedTo: 'user:11' });
    expect(lastCard()).toContain('Acknowledged by Alice');
    now.t += 10 * 60_000;
    await timers.runDue();
    expect(outbox.to('test:oncall')).toHaveLength(0);
    await run('unack 42');
    now.t += 6 * 60_000;
    await timers.runDue();
    expect(outbox.to('test:oncall')).toHaveLength(1);
  });

  it('assign me / another person; unmapped person is a clear error', async () => {
    await run('assign 42 me');
    expect(fake.requests[0]!.body).toEqual({ assignedTo: 'user:11' });
    expect(lastCard()).toContain('Assigned to Alice');
    await expect(run('assign 42 bob')).rejects.toThrow(/no Sentry user/);
    await expect(run('assign 42 nobody')).rejects.toThrow(/Unknown person/);
    await expect(run('assign 42')).rejects.toThrow(/needs a person/);
  });

  it('without services.sentry: not configured', async () => {
    services = lookupOf();
    await expect(run('resolve 42')).rejects.toThrow(/not configured/);
  });
});
