/**
 * Issue 18 §2 and §3 through the shared alert engine (src/alerts/policy.ts): a paging Sentry alert
 * @-mentions the owners and the primary on call; unacknowledged it pages the secondary, then the
 * escalation contacts, each step once, with "escalated to …" on the card and, where the schedule says
 * `pageDirect`, a direct message; an ack at any step stops the rest; a `/mute`d product's alerts are
 * stored and counted but post nothing and page nobody, and escalation resumes when the mute ends.
 */
import { describe, expect, it } from 'vitest';
import type { Card } from '../../cards/model.ts';
import { cardToText } from '../../cards/model.ts';
import { scheduledPolicy } from '../../src/alerts/policy.ts';
import type { ServiceLookup } from '../../src/core/feature.ts';
import { EventBus } from '../../src/core/events.ts';
import { StoreTimers } from '../../src/core/timers.ts';
import { createMuteService, MUTES } from '../../src/mute/service.ts';
import { createOncallService, ONCALL } from '../../src/oncall/service.ts';
import type { SentryEventPayload } from '../../src/sources/sentry/map.ts';
import { registerSentryReactions } from '../../src/sources/sentry/reactions.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { AlertBoard, ALERTS } from '../../src/alerts/board.ts';
import alertsCommand from '../../commands/alerts.ts';
import { runCommand } from '../helpers/command-context.ts';
import { botConfig, FakeOutbox, peopleOf, sentryConfig, silentLog } from '../sources/sentry/helpers.ts';

// Monday 2026-11-30 12:00 Asia/Shanghai: the first week of the rotation (alice primary, dave secondary).
const T0 = Date.UTC(2026, 10, 30, 4, 0, 0);
const MIN = 60_000;

function setup(o: { pageDirect?: boolean } = {}) {
  const now = { t: T0 };
  const clock = () => now.t;
  const config = botConfig({
    people: {
      alice: { name: 'Alice', dingtalk: 'ding-alice', roles: ['oncall'] },
      bob: { name: 'Bob', dingtalk: 'ding-bob', roles: ['deployer'] },
      carol: { name: 'Carol', dingtalk: 'ding-carol', roles: [] },
      dave: { name: 'Dave', dingtalk: 'ding-dave', roles: [] },
      erin: { name: 'Erin', dingtalk: 'ding-erin', roles: [] },
    },
    teams: { payments: { members: ['alice', 'bob'], chats: ['dingtalk:cid-pay'], oncall: 'pay' } },
    oncall: { pay: { rotation: { every: 'week', handoff: 'mon 10:00', start: '2026-11-30' }, members: ['alice', 'erin'], secondary: ['dave', 'alice'], pageDirect: o.pageDirect ?? false } },
    chat: { dingtalk: { mode: 'http', clientId: 'dingAPP', clientSecret: 'app-secret-0123', robotCode: 'dingrobot' } },
  });
  // Owners: bob only, so the on-call people are visibly added.
  config.products.demo!.owners = ['bob'];
  config.products.demo!.alerts = { escalateAfterMinutes: 10, escalationChain: ['carol'] } as never;
  const store = new MemoryStore();
  const services = new Map<string, unknown>([
    [ONCALL.name, createOncallService({ config, store, clock })],
    [MUTES.name, createMuteService({ store, clock, windows: [] })],
  ]);
  const lookup = { get: (k: { name: string }) => services.get(k.name) } as unknown as ServiceLookup;
  const outbox = new FakeOutbox(clock);
  const events = new EventBus((err) => {
    throw err;
  });
  const timers = new StoreTimers({ store, log: silentLog, clock, pollMs: 0 });
  const policy = scheduledPolicy({ services: lookup, clock, pageDirect: (s) => config.oncall[s]?.pageDirect === true });
  const escalations: string[] = [];
  const r = registerSentryReactions(
    { config, store, events, outbox, log: silentLog, locale: 'en', clock, timers, people: peopleOf(config), policy, onEscalation: (s) => escalations.push(s) },
    { sentry: sentryConfig(), tickMs: 0 },
  );
  const advance = async (minutes: number) => {
    now.t += minutes * MIN;
    await r.tick();
    await timers.runDue();
  };
  const mutes = services.get(MUTES.name) as ReturnType<typeof createMuteService>;
  return { now, outbox, events, r, advance, escalations, mutes };
}

function alertFor(issueId: string) {
  const payload: SentryEventPayload = {
    resource: 'event_alert',
    action: 'triggered',
    actor: { type: 'application', id: 'sentry', name: 'Sentry' },
    issue: { issueId, projectSlug: 'demo-web', title: `Error ${issueId}`, level: 'error', environment: 'prod' },
  };
  return { type: 'sentry.event_alert.triggered', payload, occurredAt: T0 };
}
const textOf = (m: { reply: { kind: string } }) => cardToText((m.reply as unknown as { card: Card }).card);

describe('paging through the on-call schedule', () => {
  it('primary with the first post, then the secondary, then the escalation contact, each once; the card says who', async () => {
    const { events, outbox, advance, escalations } = setup();
    await events.emit(alertFor('900'));
    const first = outbox.to('dingtalk:cid-pay');
    expect(first).toHaveLength(1);
    expect(first[0]!.mentions).toEqual(['ding-bob', 'ding-alice']);

    await advance(11);
    const step1 = outbox.to('dingtalk:cid-pay').filter((m) => m.cardKey?.includes(':escalation:'));
    expect(step1).toHaveLength(1);
    expect(step1[0]!.mentions).toEqual(['ding-bob', 'ding-alice', 'ding-dave']);
    expect(textOf(step1[0]!)).toContain('Dave');

    await advance(11);
    const steps = outbox.to('dingtalk:cid-pay').filter((m) => m.cardKey?.includes(':escalation:'));
    expect(steps).toHaveLength(2);
    expect(steps[1]!.mentions).toEqual(['ding-bob', 'ding-alice', 'ding-dave', 'ding-carol']);
    expect(escalations).toEqual(['sentry', 'sentry']);
    // The chain is exhausted after carol: no third step pages anyone new, but nothing is sent twice per step.
    const keys = steps.map((m) => m.cardKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('an ack after the first step stops the rest', async () => {
    const { events, outbox, advance, r } = setup();
    await events.emit(alertFor('901'));
    await advance(11);
    expect(outbox.to('dingtalk:cid-pay').filter((m) => m.cardKey?.includes(':escalation:'))).toHaveLength(1);
    await r.alerts.change('901', (x) => void ((x.status = 'acked'), (x.statusBy = 'Dave')));
    await advance(30);
    expect(outbox.to('dingtalk:cid-pay').filter((m) => m.cardKey?.includes(':escalation:'))).toHaveLength(1);
  });

  it('pageDirect: each step also reaches the person on duty and the one it adds in their direct chat', async () => {
    const { events, outbox, advance } = setup({ pageDirect: true });
    await events.emit(alertFor('902'));
    await advance(11);
    expect(outbox.to('dingtalk:user:ding-alice')).toHaveLength(1);
    expect(outbox.to('dingtalk:user:ding-dave')).toHaveLength(1);
    expect(outbox.to('dingtalk:user:ding-bob')).toHaveLength(0);
  });
});

describe('quiet windows in the alert engine', () => {
  it('a muted product: stored and counted, no card, no page; escalation waits for the mute to end', async () => {
    const { events, outbox, advance, r, mutes } = setup();
    await mutes.mute({ kind: 'product', target: 'demo', durationMs: 30 * MIN, reason: 'batch job', by: { id: 'bob', name: 'Bob' } });
    await events.emit(alertFor('903'));
    await events.emit(alertFor('903'));
    expect(outbox.to('dingtalk:cid-pay')).toHaveLength(0);
    const s = await r.alerts.states.get('903');
    expect(s?.count).toBe(2);
    await advance(11);
    expect(outbox.sent).toHaveLength(0);
    await advance(25); // the mute ended at 30 min: the step that was due now pages
    expect(outbox.to('dingtalk:cid-pay').filter((m) => m.cardKey?.includes(':escalation:'))).toHaveLength(1);
  });
});

describe('/alerts with a mute in force', () => {
  it('lists the muted alert, marked muted, and the mute with who set it and until when', async () => {
    const { events, r, mutes, now } = setup();
    await mutes.mute({ kind: 'product', target: 'demo', durationMs: 60 * MIN, reason: 'nightly batch', by: { id: 'bob', name: 'Bob' } });
    await events.emit(alertFor('904'));
    const board = new AlertBoard([{ source: 'sentry', states: r.alerts.states, severityOf: () => 'error', sinceOf: () => undefined }], () => mutes.active());
    const reply = await runCommand(alertsCommand, {
      args: {},
      message: { platform: 'test', chat: 'test:x', chatType: 'group', sender: { platform: 'test', id: 'bob', name: 'Bob' }, text: '/alerts', messageId: 'm1', receivedAt: now.t } as never,
      locale: 'en',
      config: botConfig(),
      clock: () => now.t,
      services: { get: (k: { name: string }) => (k.name === ALERTS.name ? board : undefined) } as never,
    });
    const out = JSON.stringify(reply);
    expect(out).toContain('Error 904');
    expect(out).toContain('muted (no card, no page)');
    expect(out).toContain('nightly batch (set by Bob');
  });
});

describe('team-routed alerts (no product)', () => {
  it("page the team's on-call: first post and escalation go by the team when the alert has no product", async () => {
    const { policy } = (() => {
      const now = T0;
      const config = botConfig({
        people: { alice: { name: 'Alice', dingtalk: 'ding-alice', roles: [] }, dave: { name: 'Dave', dingtalk: 'ding-dave', roles: [] } },
        teams: { payments: { members: ['alice'], chats: ['dingtalk:cid-pay'], oncall: 'pay' } },
        oncall: { pay: { rotation: { every: 'week', handoff: 'mon 10:00', start: '2026-11-30' }, members: ['alice'], secondary: ['dave'] } },
      });
      const store = new MemoryStore();
      const oncall = createOncallService({ config, store, clock: () => now });
      const lookup = { get: (k: { name: string }) => (k.name === ONCALL.name ? oncall : undefined) } as unknown as ServiceLookup;
      return { policy: scheduledPolicy({ services: lookup, clock: () => now, pageDirect: () => false }) };
    })();
    const alert = { key: 'fp1', owners: [], paging: true, status: 'open' as const, team: 'payments' };
    expect(await policy.firstPage({ source: 'alertmanager', alert })).toEqual(['alice']);
    expect((await policy.escalation({ source: 'alertmanager', alert }, 1)).people).toEqual(['alice', 'dave']);
    // A label value that is no team pages nobody and does not throw.
    expect(await policy.firstPage({ source: 'alertmanager', alert: { ...alert, team: 'constructor' } })).toEqual([]);
  });
});
