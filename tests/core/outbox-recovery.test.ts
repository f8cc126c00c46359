// Recovery after a chat platform outage (core/outbox.ts recovered; OutboxLedger.wake): the backoff is capped
// at 1 minute (chat.retryMaxMs), so a chat waiting out a long outage sees the platform back within a
// minute; the first *retried* send of a platform that goes through wakes every other send of it waiting in
// our backoff. Waits the platform named (Retry-After, a throttle) are never cut short, and a chat that keeps
// failing while the rest of its platform works keeps its own backoff. Fake timers; the platform is a
// CaptureAdapter that fails on purpose.
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
  sentAt = new Map<string, number>();
  fail: (msg: OutgoingMessage) => Error | undefined = () => undefined;
  override async send(msg: OutgoingMessage): Promise<void> {
    this.attempts.push(msg);
    const err = this.fail(msg);
    if (err) throw err;
    this.sentAt.set(msg.to, Date.now());
    await super.send(msg);
  }
}

const MINUTE = 60_000;
/** The production defaults (1 s doubling, capped at 1 min, 24 h budget); `random` spreads the jitter. */
function setup(random: () => number = () => 1) {
  const adapter = new FlakyAdapter();
  const outbox = new ChatOutbox(pino({ level: 'silent' }), { budgetPerMinute: 20, retry: { baseMs: 1000, maxMs: MINUTE, budgetMs: 24 * 3_600_000, random } });
  outbox.register(adapter);
  return { adapter, outbox };
}
const push = (to: string, t: string): OutgoingMessage => ({ to, reply: text(t) });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const attemptsTo = (a: FlakyAdapter, to: string) => a.attempts.filter((m) => m.to === to).length;

describe('ChatOutbox: recovery after a platform outage', () => {
  it('after a 20-minute outage the waiting alert goes out within a minute of recovery (the cap), not up to 5 minutes later', async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = () => (down ? refused() : undefined);
    await outbox.send(push('test:g', 'alert'));
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    // 1+2+…+32 s, then one a minute: about 25 attempts in 20 minutes, not one every few seconds
    expect(attemptsTo(adapter, 'test:g')).toBeLessThanOrEqual(7 + 20 + 1);
    down = false;
    const back = Date.now();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(adapter.sent.map((m) => m.to)).toEqual(['test:g']);
    expect(adapter.sentAt.get('test:g')! - back).toBeLessThanOrEqual(MINUTE);
    outbox.stop();
  });

  it("the first retried send that goes through wakes the platform's other waiting chats at once; other platforms are untouched", async () => {
    // Jitter spread per call, so the chats' retries fall at different times.
    let n = 0;
    const { adapter, outbox } = setup(() => [0.05, 0.5, 0.95][n++ % 3]!);
    let down = true;
    adapter.fail = (m) => (m.to === 'other:x' || (m.to.startsWith('test:') && down) ? refused() : undefined);
    for (const to of ['test:a', 'test:b', 'test:c', 'other:x']) await outbox.send(push(to, `alert for ${to}`));
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    const otherBefore = attemptsTo(adapter, 'other:x');
    down = false;
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(adapter.sent.map((m) => m.to).sort()).toEqual(['test:a', 'test:b', 'test:c']);
    const times = ['test:a', 'test:b', 'test:c'].map((to) => adapter.sentAt.get(to)!);
    expect(Math.max(...times) - Math.min(...times)).toBe(0); // together: the first one's success woke the others
    // 'other' is still down and was not woken: at most its own one-a-minute retries
    expect(attemptsTo(adapter, 'other:x') - otherBefore).toBeLessThanOrEqual(2);
    outbox.stop();
  });

  it('over an hour, a chat that stays broken while another chat of its platform sends every 20 s keeps its own backoff (not tried at each of those sends)', async () => {
    const { adapter, outbox } = setup();
    adapter.fail = (m) => (m.to === 'test:broken' ? refused() : undefined);
    await outbox.send(push('test:broken', 'x'));
    for (let i = 0; i < 180; i++) {
      await outbox.send(push('test:fine', `ok ${i}`));
      await vi.advanceTimersByTimeAsync(20_000);
    }
    expect(adapter.sent.filter((m) => m.to === 'test:fine')).toHaveLength(180);
    // 1+2+…+32 s, then one a minute: ~66 in an hour; the other chat's 180 sends add none
    expect(attemptsTo(adapter, 'test:broken')).toBeLessThanOrEqual(7 + 60 + 1);
    outbox.stop();
  });

  it("a send the platform told to wait (a 10-minute throttle) is not woken by the platform's recovery", async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = (m) => (m.to === 'test:throttled' ? new SendError('dingtalk: errcode 130101: send too fast', true, 600_000) : down ? refused() : undefined);
    await outbox.send(push('test:throttled', 'wait'));
    await outbox.send(push('test:g', 'alert'));
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    down = false;
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(adapter.sent.map((m) => m.to)).toEqual(['test:g']);
    expect(attemptsTo(adapter, 'test:throttled')).toBe(1); // still inside its 10 minutes
    await vi.advanceTimersByTimeAsync(6 * MINUTE + 1000);
    expect(attemptsTo(adapter, 'test:throttled')).toBe(2);
    outbox.stop();
  });

  it('an outage answered with 503 + Retry-After: 5 still goes out within a minute of recovery', async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = () => (down ? new UpstreamError('test', 503, 'service unavailable', 5) : undefined);
    await outbox.send(push('test:g', 'alert'));
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    down = false;
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(adapter.sent.map((m) => m.to)).toEqual(['test:g']);
    outbox.stop();
  });
});
