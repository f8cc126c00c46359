import { afterEach, describe, expect, it } from 'vitest';
import { createTestBot } from '../helpers/test-bot.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('help, usage, unknown commands', () => {
  it('/help lists every registered command from the declarations', async () => {
    const t = await createTestBot();
    stop = t.stop;
    const [out] = await t.say('/help');
    expect(out).toContain('opsbot commands');
    for (const spec of t.opsbot.registry.list()) expect(out).toContain(`/${spec.name}`);
  });
  it('/help <command> shows usage and examples', async () => {
    const t = await createTestBot();
    stop = t.stop;
    const [out] = await t.say('/help whoami');
    expect(out).toContain('Usage of /whoami');
    expect(out).toContain('/whoami');
  });
  it('an unknown command suggests the closest one', async () => {
    const t = await createTestBot();
    stop = t.stop;
    const [out] = await t.say('/whoam');
    expect(out).toContain('Unknown command /whoam');
    expect(out).toContain('Did you mean `/whoami`?');
  });
  it('bad arguments get a usage card', async () => {
    const t = await createTestBot();
    stop = t.stop;
    const [out] = await t.say('/whoami extra words');
    expect(out).toContain('Bad arguments for /whoami');
    expect(out).toContain('unexpected: extra words');
  });
  it('answers in Chinese by default', async () => {
    const t = await createTestBot({ yaml: 'chat: { console: false }\n' });
    stop = t.stop;
    const [out] = await t.say('/help');
    expect(out).toContain('opsbot 命令');
  });
  it('/whoami shows platform id, person and roles; an unknown sender is a viewer', async () => {
    const t = await createTestBot();
    stop = t.stop;
    const [known] = await t.say('/whoami', { from: 'alice' });
    expect(known).toContain('Alice (alice)');
    expect(known).toContain('deployer');
    const [unknown] = await t.say('/whoami', { from: 'mallory' });
    expect(unknown).toContain('(not registered)');
    expect(unknown).toContain('none (viewer)');
  });
  it('a repeated message id is answered once', async () => {
    const t = await createTestBot();
    stop = t.stop;
    const a = await t.say('/whoami', { id: 'same' });
    const b = await t.say('/whoami', { id: 'same' });
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(0);
  });
  it('records an audit entry per command', async () => {
    const t = await createTestBot();
    stop = t.stop;
    await t.say('/whoami', { from: 'alice', chat: 'c1' });
    const [entry] = await t.store.listAudit({ limit: 1 });
    expect(entry).toMatchObject({ actor: 'alice', chat: 'test:c1', command: '/whoami', outcome: 'ok' });
  });
});

describe('messages acknowledged but not answered before a crash', () => {
  it('are answered after a restart on the same store', async () => {
    const { MemoryStore } = await import('../../src/store/memory-store.ts');
    const store = new MemoryStore();
    const msg = { id: 'crash-1', platform: 'test' as const, chat: 'test:c', chatType: 'group' as const, sender: { platform: 'test' as const, id: 'alice' }, text: '/whoami', receivedAt: Date.now() };
    // What handleMessage persisted before the process died, with no answer sent.
    await store.collection('chat-messages', { tier: 'bulk' }).put('test:crash-1', { at: msg.receivedAt, status: 'pending', msg });
    const t = await createTestBot({ store });
    stop = t.stop;
    await t.opsbot.bot.idle();
    expect(t.adapter.sent).toHaveLength(1);
    expect(t.adapter.sent[0]!.to).toBe('test:c');
    // and it is not answered a second time
    expect(await t.say('/whoami', { id: 'crash-1', chat: 'c' })).toEqual([]);
  });
});

describe('usage problems speak the configured language', () => {
  it('zh-CN by default: missing and unexpected arguments', async () => {
    const t = await createTestBot({ yaml: 'chat: { console: false }\n' });
    stop = t.stop;
    const [out] = await t.say('/whoami extra');
    expect(out).toContain('多余的参数：extra');
    const [help] = await t.say('/help whoami');
    expect(help).toContain('用法');
  });
});
