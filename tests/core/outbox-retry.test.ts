// The durable outbox's retry rules (issue "Delivery to people" 1): a fake chat adapter that fails on
// purpose (down for a while then up, 500 then 200, 429 with Retry-After, throttling, permanent 4xx),
// fake timers and a short retry budget. Transient failures are retried with backoff until they pass or
// the budget is spent (dead); permanent ones are dead at once; one chat's order holds while its head
// retries, other chats and replies are not held; card updates coalesce across retries.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { SendError, UpstreamError } from '../../src/core/errors.ts';
import { text, type OutgoingMessage } from '../../src/core/message.ts';
import { ChatOutbox, type SendOutcome } from '../../src/core/outbox.ts';
import { classifySendFailure, retryDelayMs } from '../../src/core/outbox-retry.ts';

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

/** Fails every send while `fail` returns an error for it; records the attempts and the sends that passed. */
class FlakyAdapter extends CaptureAdapter {
  attempts: OutgoingMessage[] = [];
  fail: (msg: OutgoingMessage, n: number) => Error | undefined = () => undefined;
  override async send(msg: OutgoingMessage): Promise<void> {
    this.attempts.push(msg);
    const err = this.fail(msg, this.attempts.length);
    if (err) throw err;
    await super.send(msg);
  }
}

function setup(o: { budgetMs?: number } = {}) {
  const adapter = new FlakyAdapter();
  const outcomes: SendOutcome[] = [];
  const outbox = new ChatOutbox(pino({ level: 'silent' }), {
    budgetPerMinute: 20,
    retry: { baseMs: 1000, maxMs: 8000, budgetMs: o.budgetMs ?? 60_000, random: () => 1 },
    onOutcome: (_p, outcome) => outcomes.push(outcome),
  });
  outbox.register(adapter);
  return { adapter, outbox, outcomes };
}
const push = (to: string, t: string, cardKey?: string): OutgoingMessage => ({ to, reply: text(t), ...(cardKey ? { cardKey } : {}) });
const texts = (ms: OutgoingMessage[]) => ms.map((m) => (m.reply.kind === 'text' ? m.reply.text : '?'));
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

describe('classifySendFailure / retryDelayMs', () => {
  it('classifies adapters\' SendError, HTTP statuses and network errors', () => {
    expect(classifySendFailure(new SendError('busy', true, 5000))).toMatchObject({ transient: true, retryAfterMs: 5000 });
    expect(classifySendFailure(new SendError('bad template', false))).toMatchObject({ transient: false });
    expect(classifySendFailure(new UpstreamError('x', 503, 'down')).transient).toBe(true);
    expect(classifySendFailure(new UpstreamError('x', 0, 'socket hang up')).transient).toBe(true);
    expect(classifySendFailure(new UpstreamError('x', 429, 'slow down', 7))).toMatchObject({ transient: true, retryAfterMs: 7000 });
    expect(classifySendFailure(new UpstreamError('x', 400, 'bad request')).transient).toBe(false);
    expect(classifySendFailure(refused()).transient).toBe(true);
    expect(classifySendFailure(new TypeError('fetch failed', { cause: refused() })).transient).toBe(true);
    expect(classifySendFailure(new Error('template variable missing')).transient).toBe(false);
  });

  it('backs off exponentially with jitter, capped, and never sooner than Retry-After', () => {
    const o = { baseMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, o, undefined, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(retryDelayMs(3, o, undefined, () => 0)).toBe(2000); // half fixed, half random
    expect(retryDelayMs(1, o, 30_000, () => 0.5)).toBe(30_000);
  });
});

describe('ChatOutbox retries', () => {
  it('platform down for a while, then up: the message goes out once, after backoff; later ones of the chat wait behind it', async () => {
    const { adapter, outbox, outcomes } = setup();
    let down = true;
    adapter.fail = () => (down ? refused() : undefined);
    await outbox.send(push('test:g', 'first'));
    await outbox.send(push('test:g', 'second'));
    await outbox.send(push('test:other', 'elsewhere'));
    expect(texts(adapter.attempts)).toEqual(['first', 'elsewhere']); // 'second' is held behind its chat's head
    await vi.advanceTimersByTimeAsync(1000 + 2000);
    expect(texts(adapter.attempts.filter((m) => m.to === 'test:g'))).toEqual(['first', 'first', 'first']);
    down = false;
    await vi.advanceTimersByTimeAsync(4000);
    expect(texts(adapter.sent.filter((m) => m.to === 'test:g'))).toEqual(['first', 'second']);
    expect(texts(adapter.sent.filter((m) => m.to === 'test:other'))).toEqual(['elsewhere']);
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'retried').length).toBeGreaterThanOrEqual(4);
    expect(await outbox.list()).toEqual([]);
    outbox.stop();
  });

  it('500 then 200; 429 with Retry-After is honoured; WeCom-style busy SendError is retried', async () => {
    const { adapter, outbox } = setup();
    adapter.fail = (m, n) => {
      if (m.reply.kind === 'text' && m.reply.text === 'a' && n === 1) return new UpstreamError('dingtalk', 500, 'internal');
      if (m.reply.kind === 'text' && m.reply.text === 'b' && adapter.attempts.filter((x) => x === m).length === 1) return new UpstreamError('dingtalk', 429, 'slow', 20);
      if (m.reply.kind === 'text' && m.reply.text === 'c' && adapter.attempts.filter((x) => x === m).length === 1) return new SendError('wecom: errcode -1: system busy', true, 1000);
      return undefined;
    };
    await outbox.send(push('test:a', 'a'));
    await outbox.send(push('test:b', 'b'));
    await outbox.send(push('test:c', 'c'));
    expect(adapter.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(texts(adapter.sent).sort()).toEqual(['a', 'c']);
    await vi.advanceTimersByTimeAsync(18_000);
    expect(texts(adapter.sent)).not.toContain('b'); // Retry-After: 20 s
    await vi.advanceTimersByTimeAsync(1000);
    expect(texts(adapter.sent).sort()).toEqual(['a', 'b', 'c']);
    outbox.stop();
  });

  it('a permanent failure is dead at once (no retry); past the retry budget a transient one is dead too; both listed, retried on request', async () => {
    const { adapter, outbox, outcomes } = setup({ budgetMs: 10_000 });
    let broken = true;
    adapter.fail = (m) => (!broken ? undefined : m.to === 'test:bad' ? new UpstreamError('dingtalk', 400, 'invalid template') : refused());
    await outbox.send(push('test:bad', 'bad'));
    await outbox.send(push('test:down', 'down'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.attempts.filter((m) => m.to === 'test:bad')).toHaveLength(1);
    const rows = await outbox.list();
    expect(rows.map((r) => [r.chat, r.state, r.deadReason])).toEqual([
      ['test:bad', 'dead', 'permanent'],
      ['test:down', 'dead', 'budget'],
    ]);
    expect(rows[0]!.lastError).toContain('invalid template');
    expect(outcomes).toContain('failed');
    expect(outcomes).toContain('dead');
    // a dead head no longer holds its chat back
    broken = false;
    await outbox.send(push('test:down', 'later'));
    expect(texts(adapter.sent)).toEqual(['later']);
    expect(await outbox.retryDead('test:down')).toBe(1);
    expect(texts(adapter.sent)).toEqual(['later', 'down']);
    expect(await outbox.retryDead()).toBe(1);
    expect(texts(adapter.sent)).toEqual(['later', 'down', 'bad']);
    expect(await outbox.list()).toEqual([]);
    outbox.stop();
  });

  it('card updates coalesce across retries: only the newest state goes out once the platform is back', async () => {
    const { adapter, outbox } = setup();
    let down = true;
    adapter.fail = () => (down ? new UpstreamError('dingtalk', 503, 'unavailable') : undefined);
    for (let i = 1; i <= 5; i++) await outbox.send(push('test:g', `alert count ${i}`, 'alert:1'));
    await outbox.send(push('test:g', 'plain'));
    for (let i = 6; i <= 9; i++) await outbox.send(push('test:g', `alert count ${i}`, 'alert:1'));
    down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(texts(adapter.sent)).toEqual(['alert count 9', 'plain']);
    outbox.stop();
  });

  it('a newer card state that arrives while an attempt is in flight is sent right after it', async () => {
    const { adapter, outbox } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const orig = adapter.send.bind(adapter);
    adapter.send = async (m) => {
      if (m.reply.kind === 'text' && m.reply.text === 'v1') await gate;
      return orig(m);
    };
    const first = outbox.send(push('test:g', 'v1', 'card:1'));
    await vi.advanceTimersByTimeAsync(0);
    await outbox.send(push('test:g', 'v2', 'card:1'));
    release();
    await first;
    expect(texts(adapter.sent)).toEqual(['v1', 'v2']);
    outbox.stop();
  });

  it('a reply to a person is durable and retried, but never waits behind the chat\'s retrying pushes', async () => {
    const { adapter, outbox } = setup();
    adapter.fail = (m) => (m.inReplyTo ? undefined : refused());
    await outbox.send(push('test:g', 'push'));
    await outbox.send({ ...push('test:g', 'the answer'), inReplyTo: CaptureAdapter.message('/status', { chat: 'g' }) });
    expect(texts(adapter.sent)).toEqual(['the answer']);
    let replyDown = true;
    adapter.fail = (m) => (m.inReplyTo && replyDown ? refused() : undefined);
    await outbox.send({ ...push('test:g', 'second answer'), inReplyTo: CaptureAdapter.message('/tasks', { chat: 'g' }) });
    replyDown = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(texts(adapter.sent)).toEqual(['the answer', 'push', 'second answer']);
    outbox.stop();
  });
});
