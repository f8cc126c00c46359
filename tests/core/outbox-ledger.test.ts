// The in-memory OutboxLedger (the bookkeeping ChatOutbox uses without PostgreSQL): a sliding per-chat
// window of `budgetPerMinute` slots, a FIFO queue behind it, cardKey coalescing in place, and
// `takeDue` handing each parked message out once as slots free (chat-platforms.md §4).
import { describe, expect, it } from 'vitest';
import { text } from '../../src/core/message.ts';
import { MemoryOutboxLedger, type ParkedMessage } from '../../src/core/outbox.ts';

function setup(budget = 3, windowMs = 1000) {
  let now = 5_000;
  const ledger = new MemoryOutboxLedger({ budgetPerMinute: budget, windowMs, clock: () => now });
  return { ledger, advance: (ms: number) => void (now += ms) };
}
const m = (t: string, cardKey?: string, to = 'test:g') => ({ to, reply: text(t), ...(cardKey ? { cardKey } : {}) });
const texts = (ms: ParkedMessage[]) => ms.map((x) => (x.reply.kind === 'text' ? x.reply.text : '?'));

describe('MemoryOutboxLedger', () => {
  it('admits up to the budget, then parks with the time until the oldest slot frees', async () => {
    const { ledger, advance } = setup();
    expect(await ledger.admit(m('a'))).toEqual({ send: true });
    advance(100);
    expect(await ledger.admit(m('b'))).toEqual({ send: true });
    expect(await ledger.admit(m('c'))).toEqual({ send: true });
    expect(await ledger.admit(m('d'))).toEqual({ send: false, retryInMs: 900 });
    expect(ledger.waiting('test:g')).toBe(1);
    // another chat has its own budget
    expect(await ledger.admit(m('x', undefined, 'test:other'))).toEqual({ send: true });
  });

  it('nothing overtakes a parked message, even once a slot is free', async () => {
    const { ledger, advance } = setup(1);
    await ledger.admit(m('a'));
    expect((await ledger.admit(m('b'))).send).toBe(false);
    advance(1000);
    expect((await ledger.admit(m('c'))).send).toBe(false);
    const due = await ledger.takeDue('test:g');
    expect(texts(due.messages)).toEqual(['b']);
    expect(due.retryInMs).toBe(1000);
  });

  it('coalesces parked messages with the same cardKey into the newest, keeping the queue position', async () => {
    const { ledger, advance } = setup(1);
    await ledger.admit(m('fill'));
    await ledger.admit(m('card v1', 'alert:1'));
    await ledger.admit(m('plain'));
    await ledger.admit(m('card v2', 'alert:1'));
    expect(ledger.waiting('test:g')).toBe(2);
    advance(1000);
    expect(texts((await ledger.takeDue('test:g')).messages)).toEqual(['card v2']);
    advance(1000);
    const last = await ledger.takeDue('test:g');
    expect(texts(last.messages)).toEqual(['plain']);
    expect(last.retryInMs).toBeUndefined();
    expect(texts((await ledger.takeDue()).messages)).toEqual([]);
  });

  it('takeDue() without a chat drains every chat within its budget, each message once', async () => {
    const { ledger, advance } = setup(2);
    for (const to of ['test:a', 'test:b']) for (let i = 0; i < 5; i++) await ledger.admit(m(`${to}#${i}`, undefined, to));
    expect(texts((await ledger.takeDue()).messages)).toEqual([]);
    advance(1000);
    expect(texts((await ledger.takeDue()).messages)).toEqual(['test:a#2', 'test:a#3', 'test:b#2', 'test:b#3']);
    expect(texts((await ledger.takeDue()).messages)).toEqual([]);
  });
});
