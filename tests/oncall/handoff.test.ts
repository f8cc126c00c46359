// The handoff timer (src/oncall/handoff.ts) on the embedded timers with a fake clock: one card per
// handoff, the open items from the hook, the next handoff armed after each, a late one not announced.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { cardToText } from '../../cards/model.ts';
import { StoreTimers } from '../../src/core/timers.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { handoffSetup, handoffYaml } from './handoff-helpers.ts';

const at = (iso: string) => Date.parse(iso);

function setup(now: number, openItems?: Parameters<typeof handoffSetup>[0]['openItems']) {
  let t = now;
  const clock = () => t;
  const store = new MemoryStore();
  const timers = new StoreTimers({ store, log: pino({ level: 'silent' }), clock, pollMs: 0 });
  const h = handoffSetup({ yaml: handoffYaml('09:00', '2026-12-01'), store, timers, clock, ...(openItems ? { openItems } : {}) });
  const text = (i: number) => (h.sent[i]?.reply.kind === 'card' ? cardToText(h.sent[i].reply.card) : '');
  return { ...h, timers, text, setNow: (ms: number) => (t = ms) };
}

describe('handoff card', () => {
  it('fires once per handoff with the open items, and arms the next one', async () => {
    const items = [{ source: 'sentry', title: 'TypeError in checkout', url: 'https://sentry.example/1', since: at('2026-12-02T03:00:00Z') }];
    const s = setup(at('2026-12-02T08:00:00Z'), async () => items);
    await s.timers.start();
    await s.jobs.arm();
    await s.jobs.arm(); // every replica arms at start: idempotent
    expect(await s.timers.runDue()).toBe(0);
    s.setNow(at('2026-12-02T09:00:00Z'));
    expect(await s.timers.runDue()).toBe(1);
    expect(await s.timers.runDue()).toBe(0);
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0]).toMatchObject({ to: 'test:team', mentions: ['bob'] });
    expect(s.text(0)).toContain('Bob takes over from Alice until 2026-12-03 09:00 (UTC)');
    expect(s.text(0)).toContain('Still open and unacknowledged (1)');
    expect(s.text(0)).toContain('[TypeError in checkout](https://sentry.example/1)');
    expect(s.seenProducts[0]).toEqual(['demo']);
    s.setNow(at('2026-12-03T09:00:30Z'));
    expect(await s.timers.runDue()).toBe(1);
    expect(s.text(1)).toContain('Alice takes over from Bob');
    await s.timers.stop();
  });

  it('still says who takes over when the open-items hook fails, and is silent about a handoff hours late', async () => {
    const s = setup(at('2026-12-02T08:00:00Z'), async () => {
      throw new Error('alert engine down');
    });
    await s.timers.start();
    await s.jobs.arm();
    s.setNow(at('2026-12-02T09:00:05Z'));
    await s.timers.runDue();
    expect(s.text(0)).toContain('Bob takes over from Alice');
    expect(s.text(0)).toContain('Nothing open');
    // the bot was down across the next handoff: not announced late, the one after is armed
    s.setNow(at('2026-12-03T13:00:00Z'));
    expect(await s.timers.runDue()).toBe(1);
    expect(s.sent).toHaveLength(1);
    s.setNow(at('2026-12-04T09:00:00Z'));
    expect(await s.timers.runDue()).toBe(1);
    expect(s.sent).toHaveLength(2);
    await s.timers.stop();
  });

  it('an override across the handoff: the card names the override, not the rotation', async () => {
    const s = setup(at('2026-12-02T08:00:00Z'));
    await s.timers.start();
    await s.jobs.arm();
    // alice keeps the duty past the 09:00 handoff (bob's turn) until 12:00
    await s.oncall.addOverride({ schedule: 'pay', layer: 'primary', person: 'alice', from: at('2026-12-02T08:00:00Z'), to: at('2026-12-02T12:00:00Z'), kind: 'swap', by: 'bob' });
    s.setNow(at('2026-12-02T09:00:00Z'));
    await s.timers.runDue();
    expect(s.text(0)).toContain('Alice stays on call until 2026-12-02 12:00 (UTC)');
    expect(s.sent[0]?.mentions).toEqual(['alice']);
    await s.timers.stop();
  });
});
