// The per-chat budget (DingTalk: 20 messages a minute per group, chat-platforms.md §4): a burst of 100
// pushes to one chat goes out at most 20 per minute, queued cards with the same cardKey coalesce, other
// chats are not held up, and direct replies to a person are not throttled.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { ChatOutbox } from '../../src/core/outbox.ts';
import { text, type OutgoingMessage } from '../../src/core/message.ts';

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

function setup() {
  const adapter = new CaptureAdapter();
  const outbox = new ChatOutbox(pino({ level: 'silent' }), { budgetPerMinute: 20 });
  outbox.register(adapter);
  return { adapter, outbox };
}
const push = (to: string, t: string, cardKey?: string): OutgoingMessage => ({ to, reply: text(t), ...(cardKey ? { cardKey } : {}) });

describe('ChatOutbox per-chat budget', () => {
  it('a burst of 100 messages: 20 in the first minute, the rest later, none lost, order kept', async () => {
    const { adapter, outbox } = setup();
    for (let i = 0; i < 100; i++) await outbox.send(push('test:g', `m${i}`));
    expect(adapter.sent).toHaveLength(20);
    for (let minute = 1; minute <= 4; minute++) {
      await vi.advanceTimersByTimeAsync(60_000);
      expect(adapter.sent).toHaveLength(20 * (minute + 1));
    }
    expect(adapter.sent.map((m) => (m.reply.kind === 'text' ? m.reply.text : ''))).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    // never more than 20 in any 60 s window
    outbox.stop();
  });

  it('queued updates of the same card coalesce into the newest', async () => {
    const { adapter, outbox } = setup();
    for (let i = 0; i < 20; i++) await outbox.send(push('test:g', `fill${i}`));
    for (let i = 0; i < 50; i++) await outbox.send(push('test:g', `alert count ${i + 1}`, 'alert:1'));
    await vi.advanceTimersByTimeAsync(60_000);
    const after = adapter.sent.slice(20);
    expect(after).toHaveLength(1);
    expect(after[0]!.reply).toEqual(text('alert count 50'));
    outbox.stop();
  });

  it('one busy chat does not hold up another, and replies to a message are not throttled', async () => {
    const { adapter, outbox } = setup();
    for (let i = 0; i < 30; i++) await outbox.send(push('test:busy', `b${i}`));
    await outbox.send(push('test:quiet', 'q'));
    await outbox.send({ ...push('test:busy', 'reply'), inReplyTo: CaptureAdapter.message('/status', { chat: 'busy' }) });
    expect(adapter.sent.map((m) => m.to)).toEqual([...Array(20).fill('test:busy'), 'test:quiet', 'test:busy']);
    outbox.stop();
  });
});
