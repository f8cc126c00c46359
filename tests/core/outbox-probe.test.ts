// Recovery after a chat platform outage (core/outbox.ts failed / probe / answered): while a platform's
// sends fail, one waiting send is probed after 15 s, 30 s, then every 60 s; the first retried send that
// goes through wakes every send of that platform waiting in our backoff. Waits the platform named
// (Retry-After, a throttle) are never cut short; a single chat that keeps failing while the rest of its
// platform works is probed at most once a minute. Fake timers; the platform is a CaptureAdapter that fails on purpose.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { SendError, UpstreamError } from '../../src/core/errors.ts';
import { text, type OutgoingMessage } from '../../src/core/message.ts';
import { ChatOutbox } from '../../src/core/outbox.ts';

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

class FlakyAdapter extends CaptureAdapter {
  attempts: OutgoingMessage[] = [];
  fail: (msg: OutgoingMessage) => Error | undefined = () => undefined;
  override async send(msg: OutgoingMessage): Promise<void> {
    this.attempts.push(msg);
    const err = this.fail(msg);
    if (err) throw err;
    await super.send(msg);
  }
}

const PROBE_MS = 15_000;
/** The production defaults (1 s doubling, capped at 5 min), with the jitter at its longest. */
function setup() {
  const adapter = new FlakyAdapter();
  const outbox = new ChatOutbox(pino({ level: 'silent' }), {
    budgetPerMinute: 20,
    retry: { baseMs: 1000, maxMs: 300_000, budgetMs: 24 * 3_600_000, probeMs: PROBE_MS, random: () => 1 },
  });
  outbox.register(adapter);
  return { adapter, outbox };
}
const push = (to: string, t: string): OutgoingMessage => ({ to, reply: text(t) });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const attemptsTo = (a: FlakyAdapter, to: string) => a.attempts.filter((m) => m.to === to).length;
/** Probes in `ms` of outage: after 15 s, 30 s, then every 60 s. */
const probesIn = (ms: number) => (ms < PROBE_MS ? 0 : ms < 3 * PROBE_MS ? 1 : 2 + Math.floor((ms - 3 * PROBE_MS) / (4 * PROBE_MS)));

describe('ChatOutbox: recovery after a platform outage', () => {
  it('after a 20-minute outage the waiting alert goes out within a minute of recovery, not at the next 5-minute retry', async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = () => (down ? refused() : undefined);
    await outbox.send(push('test:g', 'alert'));
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    // Backoff alone: 1+2+4+…+256 s, then every 300 s (≈ 12 attempts in 20 min); the probes add ~20.
    const during = attemptsTo(adapter, 'test:g');
    expect(during).toBeGreaterThan(13);
    expect(during).toBeLessThanOrEqual(13 + probesIn(20 * 60_000) + 1);
    down = false;
    await vi.advanceTimersByTimeAsync(4 * PROBE_MS);
    expect(adapter.sent.map((m) => m.to)).toEqual(['test:g']);
    outbox.stop();
  });

  it('the first success wakes every chat of that platform: all waiting alerts go out together, other platforms untouched', async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = (m) => (m.to.startsWith('test:') && down ? refused() : m.to === 'other:x' ? refused() : undefined);
    for (const to of ['test:a', 'test:b', 'test:c', 'other:x']) await outbox.send(push(to, `alert for ${to}`));
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    const otherBefore = attemptsTo(adapter, 'other:x');
    down = false;
    await vi.advanceTimersByTimeAsync(4 * PROBE_MS);
    expect(adapter.sent.map((m) => m.to).sort()).toEqual(['test:a', 'test:b', 'test:c']);
    // each test: chat was attempted once more after recovery, not again and again
    for (const to of ['test:a', 'test:b', 'test:c']) expect(adapter.sent.filter((m) => m.to === to)).toHaveLength(1);
    // 'other' is still down: the recovery of 'test' did not wake it (its own probes run, one a minute)
    expect(attemptsTo(adapter, 'other:x') - otherBefore).toBeLessThanOrEqual(2);
    outbox.stop();
  });

  it('a chat that keeps failing while the rest of its platform works keeps its own backoff (not retried at every other send)', async () => {
    const { adapter, outbox } = setup();
    adapter.fail = (m) => (m.to === 'test:broken' ? refused() : undefined);
    await outbox.send(push('test:broken', 'x'));
    // The rest of the platform sends every second for 10 s.
    for (let i = 0; i < 10; i++) {
      await outbox.send(push('test:fine', `ok ${i}`));
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(adapter.sent.filter((m) => m.to === 'test:fine')).toHaveLength(10);
    // Its own backoff only: attempts at 0, 1, 3, 7 s (1 s doubling).
    expect(attemptsTo(adapter, 'test:broken')).toBe(4);
    outbox.stop();
  });

  it('over an hour, a chat that stays broken while another chat of its platform sends every 20 s is tried about once a minute, not at each of those sends', async () => {
    const { adapter, outbox } = setup();
    adapter.fail = (m) => (m.to === 'test:broken' ? refused() : undefined);
    await outbox.send(push('test:broken', 'x'));
    for (let i = 0; i < 180; i++) {
      await outbox.send(push('test:fine', `ok ${i}`));
      await vi.advanceTimersByTimeAsync(20_000);
    }
    expect(adapter.sent.filter((m) => m.to === 'test:fine')).toHaveLength(180);
    // own backoff (≈ 20 in an hour) + probes (≈ 60): never the 180 sends of the other chat on top
    const tries = attemptsTo(adapter, 'test:broken');
    expect(tries).toBeLessThanOrEqual(20 + probesIn(3_600_000) + 1);
    expect(tries).toBeLessThan(100);
    outbox.stop();
  });

  it('an outage answered with 503 + Retry-After: 5 is still probed, and the alert goes out within a minute of recovery', async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = () => (down ? new UpstreamError('test', 503, 'service unavailable', 5) : undefined);
    await outbox.send(push('test:g', 'alert'));
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    expect(attemptsTo(adapter, 'test:g')).toBeGreaterThan(13); // probes ran: backoff alone makes ~12
    down = false;
    await vi.advanceTimersByTimeAsync(4 * PROBE_MS);
    expect(adapter.sent.map((m) => m.to)).toEqual(['test:g']);
    outbox.stop();
  });

  it('a send the platform told to wait (a 10-minute throttle) is neither probed nor woken by the platform\'s recovery', async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = (m) => (m.to === 'test:throttled' ? new SendError('dingtalk: errcode 130101: send too fast', true, 600_000) : down ? refused() : undefined);
    await outbox.send(push('test:throttled', 'wait'));
    await outbox.send(push('test:g', 'alert'));
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    down = false;
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(adapter.sent.map((m) => m.to)).toEqual(['test:g']);
    expect(attemptsTo(adapter, 'test:throttled')).toBe(1); // still waiting out its 10 minutes
    await vi.advanceTimersByTimeAsync(6 * 60_000 + 1000);
    expect(attemptsTo(adapter, 'test:throttled')).toBe(2);
    outbox.stop();
  });
});
