/** What one unregistered sender can make the bot store: the text of its message records is capped. */
import { describe, expect, it, vi } from 'vitest';
import { CaptureAdapter } from '../../src/adapters/capture.ts';
import { UNKNOWN_SENDER_TEXT_LIMIT } from '../../src/core/bot.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createTestBot } from '../helpers/test-bot.ts';

interface Rec { msg: { text: string; textTruncatedFrom?: number } }

describe('chat-message records', () => {
  it('an unknown sender\'s 900 KB message is stored cut to the limit (marked); a configured person\'s is kept whole', async () => {
    const store = new MemoryStore();
    const t = await createTestBot({ store });
    // What is written when the message is recorded (the record drops `msg` once answered).
    const seen = store.collection<Rec>('chat-messages', { tier: 'bulk' });
    const written = new Map<string, Rec>();
    const insert = seen.insertIfAbsent.bind(seen);
    vi.spyOn(seen, 'insertIfAbsent').mockImplementation(async (k, v) => {
      written.set(k, structuredClone(v));
      return insert(k, v);
    });
    const big = '/help ' + '中'.repeat(300_000); // ≈ 900 KB of UTF-8
    await t.opsbot.bot.handleMessage(CaptureAdapter.message(big, { id: 'u-1', from: 'stranger' }));
    await t.opsbot.bot.handleMessage(CaptureAdapter.message(big, { id: 'a-1', from: 'alice' }));
    await t.opsbot.bot.idle();
    const stranger = written.get('test:u-1')!;
    expect(Array.from(stranger.msg.text)).toHaveLength(UNKNOWN_SENDER_TEXT_LIMIT);
    expect(stranger.msg.textTruncatedFrom).toBe(Array.from(big).length);
    expect(Buffer.byteLength(JSON.stringify(stranger))).toBeLessThan(4 * 1024);
    expect(written.get('test:a-1')!.msg.text).toBe(big);
    // Short messages from anyone are stored as they are.
    await t.opsbot.bot.handleMessage(CaptureAdapter.message('/help', { id: 'u-2', from: 'stranger' }));
    expect(written.get('test:u-2')!.msg).not.toHaveProperty('textTruncatedFrom');
    await t.stop();
  });
});
