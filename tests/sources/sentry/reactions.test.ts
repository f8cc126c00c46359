import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.ts';
import type { Card } from '../../../cards/model.ts';
import { cardToText } from '../../../cards/model.ts';
import type { SentryEventPayload } from '../../../src/sources/sentry/map.ts';
import { mapSentryDelivery } from '../../../src/sources/sentry/map.ts';
import { registerSentryReactions } from '../../../src/sources/sentry/reactions.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { StoreTimers } from '../../../src/core/timers.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { SentryConfig } from '../../../src/sources/sentry/config.ts';
import { botConfig, FakeOutbox, fixtureText, peopleOf, sentryConfig, silentLog, vectors } from './helpers.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

type CurrentDeploy = (product: string, env: string) => Promise<{ release: string } | undefined>;
function setup(opts: { config?: Config; sentry?: SentryConfig; store?: MemoryStore; now?: { t: number }; currentDeploy?: CurrentDeploy } = {}) {
  const now = opts.now ?? { t: T0 };
  const clock = () => now.t;
  const outbox = new FakeOutbox(clock);
  const events = new EventBus((err) => {
    throw err;
  });
  const store = opts.store ?? new MemoryStore();
  const config = opts.config ?? botConfig();
  // Escalation runs on Timers: the embedded one on the same store and clock, fired by the test.
  const timers = new StoreTimers({ store, log: silentLog, clock, pollMs: 0 });
  const r = registerSentryReactions({ config, store, events, outbox, log: silentLog, locale: 'en', clock, timers, people: peopleOf(config) }, { sentry: opts.sentry ?? sentryConfig(), tickMs: 0, ...(opts.currentDeploy ? { currentDeploy: opts.currentDeploy } : {}) });
  /** What the production loops do at this clock: flush lanes, fire due timers. */
  const advance = async () => {
    await r.tick();
    await timers.runDue();
  };
  return { now, outbox, events, store, r, timers, advance };
}

function wireEvent(file: string) {
  const i = vectors.fixture_wire_bodies.items.find((x) => x.file === file)!;
  return mapSentryDelivery({ id: file, kind: `${i.resource}.${i.action}`, body: i.body, receivedAt: T0 })[0]!;
}

function alertFor(issueId: string, over: Partial<NonNullable<SentryEventPayload['issue']>> = {}, actor = { type: 'application', id: 'sentry', name: 'Sentry' }) {
  const payload: SentryEventPayload = {
    resource: 'event_alert',
    action: 'triggered',
    actor,
    issue: { issueId, projectSlug: 'demo-web', title: `Error ${issueId}`, level: 'error', environment: 'prod', ...over },
  };
  return { type: 'sentry.event_alert.triggered', payload, occurredAt: T0 };
}

const countOf = (card: Card): string | undefined => {
  for (const b of card.blocks) if (b.kind === 'fields') return b.fields.find((f) => f.label === 'Events')?.value;
  return undefined;
};
const cardOf = (m: { reply: { kind: string } }): Card => (m.reply as { kind: 'card'; card: Card }).card;

describe('routing and mentions', () => {
  it('a mapped event_alert → one card per team chat, owners @mentioned per platform, linking to Sentry', async () => {
    const { events, outbox } = setup();
    await events.emit(wireEvent('sentry-event-alert-triggered.json'));
    expect(outbox.sent.map((m) => m.to)).toEqual(['dingtalk:cid-pay', 'wecom-group:wg-pay']);
    expect(outbox.sent[0]!.mentions).toEqual(['ding-alice', 'ding-bob']);
    expect(outbox.sent[1]!.mentions).toEqual(['wc-alice']);
    expect(outbox.sent[0]!.cardKey).toBe('sentry:issue:1117540176');
    const text = cardToText(cardOf(outbox.sent[0]!));
    expect(text).toContain('ReferenceError: heck is not defined');
    expect(text).toContain('https://sentry.io/organizations/test-org/issues/1117540176/');
    expect(text).toContain('/sentry ack 1117540176');
  });

  it('the same alert again updates the card without @mentions, not a new message', async () => {
    const { events, outbox, now } = setup();
    await events.emit(alertFor('1'));
    now.t += 60_000;
    await events.emit(alertFor('1'));
    const pay = outbox.to('dingtalk:cid-pay');
    expect(pay).toHaveLength(2);
    expect(pay[1]!.cardKey).toBe(pay[0]!.cardKey);
    expect(pay[1]!.mentions).toBeUndefined();
    expect(countOf(cardOf(pay[1]!))).toBe('2');
  });

  it('unmapped projects go to sentry.defaultChat without mentions-by-owner', async () => {
    const { events, outbox } = setup();
    await events.emit(alertFor('2', { projectSlug: 'nobody-owns-this' }));
    expect(outbox.sent.map((m) => m.to)).toEqual(['test:default']);
    expect(outbox.sent[0]!.mentions).toBeUndefined();
  });

  it('an unmapped project logs one warning naming the project (not every event)', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const outbox = new FakeOutbox();
    const events = new EventBus();
    registerSentryReactions({ config: botConfig(), store: new MemoryStore(), events, outbox, log, locale: 'en', clock: () => T0, people: peopleOf(botConfig()) }, { sentry: sentryConfig(), tickMs: 0 });
    await events.emit(alertFor('20', { projectSlug: 'stray' }));
    await events.emit(alertFor('21', { projectSlug: 'stray' }));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ project: 'stray', defaultChat: 'test:default' });
  });

  it('level/environment filters: quiet alerts go to the digest chat, without mentions', async () => {
    const config = botConfig();
    config.products.demo!.alerts = { minLevel: 'error', environments: ['prod'], digestChat: 'test:quiet' } as never;
    const { events, outbox } = setup({ config });
    await events.emit(alertFor('3', { level: 'warning' }));
    await events.emit(alertFor('4', { environment: 'staging' }));
    await events.emit(alertFor('5', { level: 'fatal' }));
    expect(outbox.to('test:quiet').map((m) => m.cardKey)).toEqual(['sentry:issue:3', 'sentry:issue:4']);
    expect(outbox.to('test:quiet').every((m) => m.mentions === undefined)).toBe(true);
    expect(outbox.to('dingtalk:cid-pay').map((m) => m.cardKey)).toEqual(['sentry:issue:5']);
  });

  it('the legacy plugin fixture routes like an event alert (project meow → demo)', async () => {
    const { events, outbox } = setup();
    await events.emit(mapSentryDelivery({ id: 'l', kind: 'legacy.triggered', body: fixtureText('sentry-legacy-webhook-plugin.json'), receivedAt: T0 })[0]!);
    expect(outbox.to('dingtalk:cid-pay')[0]!.cardKey).toBe('sentry:issue:1385042923');
  });

  it('metric alerts: critical posts a card keyed on the rule, resolved updates it', async () => {
    const { events, outbox } = setup();
    await events.emit(wireEvent('sentry-metric-alert-critical.json'));
    const resolved = wireEvent('sentry-metric-alert-resolved.json');
    (resolved.payload as SentryEventPayload).metric!.ruleId = '7';
    await events.emit(resolved);
    const pay = outbox.to('dingtalk:cid-pay');
    expect(pay.map((m) => m.cardKey)).toEqual(['sentry:issue:metric:7', 'sentry:issue:metric:7']);
    expect(cardOf(pay[1]!).tone).toBe('success');
  });
});

describe('echoes and state sync', () => {
  it('issue.resolved by a user updates the card; our own echo updates without notifying and adds no new card', async () => {
    const { events, outbox, r } = setup();
    await events.emit(wireEvent('sentry-issue-created.json'));
    expect(outbox.to('dingtalk:cid-pay')).toHaveLength(1);
    await events.emit(wireEvent('sentry-issue-assigned-derived.json'));
    await events.emit(wireEvent('sentry-issue-resolved-derived.json'));
    const pay = outbox.to('dingtalk:cid-pay');
    expect(pay).toHaveLength(3);
    expect(pay.slice(1).every((m) => m.mentions === undefined && m.cardKey === 'sentry:issue:1170820242')).toBe(true);
    const state = await r.alerts.states.get('1170820242');
    expect(state).toMatchObject({ status: 'resolved', assignedTo: 'Meredith Heller', count: 1 });

    // An alert triggered by our own app for an issue we never carded: nothing is posted.
    await events.emit(alertFor('77', {}, { type: 'application', id: 'x', name: 'opsbot' }));
    expect(outbox.sent.filter((m) => m.cardKey === 'sentry:issue:77')).toHaveLength(0);
  });

  it('issue.created then event_alert of the same first event counts 1', async () => {
    const { events, r } = setup();
    await events.emit(wireEvent('sentry-issue-created.json'));
    await events.emit(alertFor('1170820242', { projectSlug: 'front-end' }));
    expect((await r.alerts.states.get('1170820242'))!.count).toBe(1);
    await events.emit(alertFor('1170820242', { projectSlug: 'front-end' }));
    expect((await r.alerts.states.get('1170820242'))!.count).toBe(2);
  });
});

describe('storm folding', () => {
  it('10 000 events of 3 issues in 60 s: ≤ 20 sends per chat per minute, exact counts on the cards', async () => {
    const { events, outbox, now, r } = setup();
    const perIssue = { a: 0, b: 0, c: 0 };
    const ids = ['a', 'b', 'c'] as const;
    for (let n = 0; n < 10_000; n++) {
      const id = ids[n % 3]!;
      perIssue[id]++;
      now.t = T0 + Math.floor((n * 60_000) / 10_000);
      await events.emit(alertFor(`9${id.charCodeAt(0)}`, { title: `storm ${id}` }));
      if (n % 500 === 0) await r.tick();
    }
    for (let s = 0; s < 12; s++) {
      now.t += 10_000;
      await r.tick();
    }
    for (const chat of ['dingtalk:cid-pay', 'wecom-group:wg-pay']) {
      const sent = outbox.to(chat);
      // Sliding window: no 60 s window holds more than 20 sends.
      for (let i = 0; i < sent.length; i++) {
        const inWindow = sent.filter((m) => m.at >= sent[i]!.at && m.at < sent[i]!.at + 60_000).length;
        expect(inWindow).toBeLessThanOrEqual(20);
      }
      // Exactly one @mentioning post per issue; the last card of each issue has its exact count.
      expect(sent.filter((m) => m.mentions).map((m) => m.cardKey).sort()).toEqual(['sentry:issue:997', 'sentry:issue:998', 'sentry:issue:999']);
      for (const id of ids) {
        const last = sent.filter((m) => m.cardKey === `sentry:issue:9${id.charCodeAt(0)}`).at(-1)!;
        expect(countOf(cardOf(last))).toBe(String(perIssue[id]));
      }
    }
  });

  it('more new issues than the budget: the overflow becomes one digest card with counts', async () => {
    const { events, outbox, now, r } = setup({ sentry: sentryConfig({ budgetPerChatPerMinute: 5 }) });
    for (let i = 0; i < 12; i++) await events.emit(alertFor(`10${i}`, { title: `issue ${i}` }));
    await events.emit(alertFor('1011', { title: 'issue 11' }));
    const chat = 'dingtalk:cid-pay';
    expect(outbox.to(chat)).toHaveLength(5);
    now.t += 61_000;
    await r.tick();
    const sent = outbox.to(chat);
    const digests = sent.filter((m) => m.cardKey?.startsWith('sentry:digest:'));
    expect(digests.length).toBeGreaterThanOrEqual(1);
    const text = cardToText(cardOf(digests[0]!));
    expect(text).toContain('issue 11');
    expect(text).toContain('× 2');
    // every issue is either carded or listed in a digest
    const carded = new Set(sent.map((m) => m.cardKey));
    for (let i = 0; i < 12; i++) expect(carded.has(`sentry:issue:10${i}`) || digests.some((d) => cardToText(cardOf(d)).includes(`issue ${i}`))).toBe(true);
  });
});

describe('escalation', () => {
  const escalating = () => sentryConfig({ escalation: { afterMinutes: 10, to: 'test:oncall', chain: ['carol'] } });

  it('an unacknowledged alert is re-posted to the escalation chat with owners (+chain) mentioned', async () => {
    const { events, outbox, now, advance } = setup({ sentry: escalating() });
    await events.emit(alertFor('500'));
    now.t += 9 * 60_000;
    await advance();
    expect(outbox.to('test:oncall')).toHaveLength(0);
    now.t += 2 * 60_000;
    await advance();
    const esc = outbox.to('test:oncall');
    expect(esc).toHaveLength(1);
    expect(esc[0]!.mentions).toEqual(['alice', 'bob', 'carol']);
    expect(cardOf(esc[0]!).title).toContain('[Escalation]');
    now.t += 10 * 60_000;
    await advance();
    expect(outbox.to('test:oncall')).toHaveLength(2);
  });

  it('per-product escalateAfterMinutes and escalationChain override the global ones', async () => {
    const config = botConfig();
    config.products.demo!.alerts = { escalateAfterMinutes: 2, escalationChain: ['carol', 'bob'] } as never;
    const { events, outbox, now, r, advance } = setup({ config, sentry: sentryConfig({ escalation: { afterMinutes: 60, to: 'test:oncall', chain: ['alice'] } }) });
    await events.emit(alertFor('503'));
    now.t += 3 * 60_000;
    await advance();
    now.t += 3 * 60_000;
    await advance();
    expect(outbox.to('test:oncall').map((m) => m.mentions)).toEqual([
      ['alice', 'bob', 'carol'],
      ['alice', 'bob', 'carol'],
    ]);
    expect((await r.alerts.states.get('503'))!.escalations).toBe(2);
  });

  it('an acknowledged alert does not escalate', async () => {
    const { events, outbox, now, r, advance } = setup({ sentry: escalating() });
    await events.emit(alertFor('501'));
    await r.alerts.change('501', (s) => {
      s.status = 'acked';
      s.statusBy = 'Alice';
    });
    now.t += 30 * 60_000;
    await advance();
    expect(outbox.to('test:oncall')).toHaveLength(0);
    const last = outbox.to('dingtalk:cid-pay').at(-1)!;
    expect(cardToText(cardOf(last))).toContain('Acknowledged by Alice');
  });

  it('escalation state survives a restart (same store, new reactions)', async () => {
    const store = new MemoryStore();
    const now = { t: T0 };
    const first = setup({ sentry: escalating(), store, now });
    await first.events.emit(alertFor('502'));
    first.r.stop();
    now.t += 11 * 60_000;
    const second = setup({ sentry: escalating(), store, now });
    await second.advance();
    expect(second.outbox.to('test:oncall')).toHaveLength(1);
    expect((await second.r.alerts.states.get('502'))!.escalations).toBe(1);
  });
});

describe('escalation timers (issue 9 §3)', () => {
  const escalating = () => sentryConfig({ escalation: { afterMinutes: 10, to: 'test:oncall', chain: ['carol'] } });
  type Row = { key: string; state: string; payload: Record<string, unknown> };
  const rows = (store: MemoryStore) => store.collection<Row>('timers', { tier: 'hot' }).list();

  it('an alert schedules one timer per level; ack cancels the pending one', async () => {
    const { events, store, r } = setup({ sentry: escalating() });
    await events.emit(alertFor('800'));
    await events.emit(alertFor('800'));
    const pending = await rows(store);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.key).toMatch(/^sentry:escalate:800:\d+:L1$/);
    await r.alerts.change('800', (s) => void (s.status = 'acked'));
    expect((await rows(store)).map((t) => t.state)).toEqual(['cancelled']);
  });

  it('the handler re-checks the alert: a stale timer after an ack sends nothing, a duplicate firing sends once', async () => {
    const { events, outbox, now, store, timers, r, advance } = setup({ sentry: escalating() });
    await events.emit(alertFor('801'));
    const [l1] = await rows(store);
    // The same level delivered twice (as two replicas racing would): one card.
    await timers.schedule({ kind: 'sentry.escalate', key: `${l1!.key}:dup`, at: now.t, payload: l1!.payload });
    now.t += 11 * 60_000;
    await advance();
    expect(outbox.to('test:oncall')).toHaveLength(1);
    expect((await r.alerts.states.get('801'))!.escalations).toBe(1);
    // Acked, but a timer for the next level fires anyway (cancel raced the firing): nothing is sent.
    const l2 = (await rows(store)).find((t) => t.state === 'pending')!;
    await r.alerts.change('801', (s) => void (s.status = 'acked'));
    await timers.schedule({ kind: 'sentry.escalate', key: `${l2.key}:stale`, at: now.t, payload: l2.payload });
    now.t += 30 * 60_000;
    await advance();
    expect(outbox.to('test:oncall')).toHaveLength(1);
  });

  it('a re-opened alert starts a new cycle (new timer keys) and escalates again', async () => {
    const { events, outbox, now, r, advance } = setup({ sentry: escalating() });
    await events.emit(alertFor('802'));
    await r.alerts.change('802', (s) => void (s.status = 'resolved'));
    now.t += 60_000;
    await events.emit(alertFor('802'));
    now.t += 11 * 60_000;
    await advance();
    expect(outbox.to('test:oncall')).toHaveLength(1);
  });
});

describe('housekeeping', () => {
  it('forgets alert states untouched for 14 days', async () => {
    const { events, now, r } = setup();
    await events.emit(alertFor('600'));
    await r.tick();
    now.t += 15 * 24 * 3_600_000;
    await r.tick();
    expect(await r.alerts.states.get('600')).toBeUndefined();
  });
});

describe('rollback button', () => {
  const rollbackOf = (m: { reply: { kind: string } }) =>
    cardOf(m).blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons : [])).find((b) => 'command' in b.action && b.action.command.startsWith('/rollback'));

  it('offered when the product/env is known (no deploy history wired)', async () => {
    const { events, outbox } = setup();
    await events.emit(alertFor('700', { environment: 'prod' }));
    await events.emit(alertFor('701', { environment: 'nowhere' }));
    expect(rollbackOf(outbox.to('dingtalk:cid-pay')[0]!)?.action).toEqual({ command: '/rollback demo prod' });
    expect(rollbackOf(outbox.to('dingtalk:cid-pay')[1]!)).toBeUndefined();
  });

  it('with deploy history: only when the alert release is what opsbot deployed there', async () => {
    const currentDeploy: CurrentDeploy = async (p, e) => (p === 'demo' && e === 'prod' ? { release: 'v1.1.0' } : undefined);
    const { events, outbox } = setup({ currentDeploy, sentry: sentryConfig({ releaseFormat: '{product}@{release}' }) });
    await events.emit(alertFor('710', { release: 'demo@v1.1.0' }));
    await events.emit(alertFor('711', { release: 'demo@v0.9.0' }));
    await events.emit(alertFor('712', {}));
    const [a, b, c] = outbox.to('dingtalk:cid-pay');
    expect(rollbackOf(a!)).toBeDefined();
    expect(rollbackOf(b!)).toBeUndefined();
    expect(rollbackOf(c!)).toBeDefined();
    const none = setup({ currentDeploy: async () => undefined });
    await none.events.emit(alertFor('713', {}));
    expect(rollbackOf(none.outbox.to('dingtalk:cid-pay')[0]!)).toBeUndefined();
  });
});
