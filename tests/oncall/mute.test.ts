// Quiet windows (src/mute): /mute and /unmute through the bot with a fake clock, mutes ending by
// themselves, configured cron windows in a DST zone, and what MUTES.isMuted answers the alert engine.
import { afterEach, describe, expect, it } from 'vitest';
import { MUTES } from '../../src/mute/service.ts';
import { createMuteService } from '../../src/mute/service.ts';
import { muteWindowSchema } from '../../src/mute/config.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { BASE_YAML, createTestBot } from '../helpers/test-bot.ts';

type TB = Awaited<ReturnType<typeof createTestBot>>;
let tb: TB | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});
const at = (iso: string) => Date.parse(iso);

describe('MUTES service', () => {
  it('configured windows: nightly in Europe/Berlin at 02:00 local for 2 h, before and after the spring change', async () => {
    const windows = [muteWindowSchema.parse({ project: 'demo-batch', cron: '0 2 * * *', durationHours: 2, timezone: 'Europe/Berlin', reason: 'nightly batch' })];
    const mutes = createMuteService({ store: new MemoryStore(), clock: () => 0, windows });
    // 27 March 2027 (CET, UTC+1): 02:00–04:00 local = 01:00–03:00Z
    expect(await mutes.isMuted({ project: 'demo-batch' }, at('2027-03-27T01:30:00Z'))).toEqual({ by: 'config', reason: 'nightly batch', until: at('2027-03-27T03:00:00Z') });
    expect(await mutes.isMuted({ project: 'demo-batch' }, at('2027-03-27T03:00:00Z'))).toBeUndefined();
    // 29 March (CEST, UTC+2): 00:00–02:00Z
    expect(await mutes.isMuted({ project: 'demo-batch' }, at('2027-03-29T00:30:00Z'))).toMatchObject({ until: at('2027-03-29T02:00:00Z') });
    expect(await mutes.isMuted({ project: 'demo-batch' }, at('2027-03-29T02:30:00Z'))).toBeUndefined();
    expect(await mutes.isMuted({ project: 'other' }, at('2027-03-29T00:30:00Z'))).toBeUndefined();
  });

  it('a window naming product and project needs both; a chat mute ends by itself', async () => {
    let t = at('2026-12-02T06:00:00Z');
    const windows = [muteWindowSchema.parse({ product: 'demo', project: 'demo-web', cron: '0 * * * *', durationHours: 1, reason: 'always' })];
    const mutes = createMuteService({ store: new MemoryStore(), clock: () => t, windows });
    expect(await mutes.isMuted({ product: 'demo', project: 'demo-web' })).toBeDefined();
    expect(await mutes.isMuted({ product: 'demo', project: 'demo-api' })).toBeUndefined();
    await mutes.mute({ kind: 'product', target: 'demo', durationMs: 30 * 60_000, reason: 'deploy', by: { id: 'alice', name: 'Alice' } });
    expect(await mutes.isMuted({ product: 'demo', project: 'demo-api' })).toEqual({ by: 'Alice', reason: 'deploy', until: t + 30 * 60_000 });
    t += 30 * 60_000;
    expect(await mutes.isMuted({ product: 'demo', project: 'demo-api' })).toBeUndefined();
    expect((await mutes.active()).map((m) => m.source)).toEqual(['config']);
  });
});

describe('/mute', () => {
  async function setup() {
    let t = at('2026-12-02T06:00:00Z');
    tb = await createTestBot({
      clock: () => t,
      yaml: `${BASE_YAML.replace('owners: [alice]', 'owners: [alice]\n    sentryProjects: [demo-backend]')}
mute: [{ project: demo-backend, cron: "0 2 * * *", durationHours: 2, reason: nightly batch }]
`,
    });
    return { ...tb, mutes: tb.opsbot.services.get(MUTES)!, advance: (ms: number) => (t += ms) };
  }

  it('mutes a product or a project for a while, shows it, and it ends by itself', async () => {
    const { say, mutes, advance } = await setup();
    const set = (await say('/mute demo 2h noisy deploy', { from: 'alice' })).join('\n');
    expect(set).toContain('Muted: demo');
    expect(set).toContain('2026-12-02 16:00');
    expect(set).toContain('post no card and page nobody');
    expect(await mutes.isMuted({ product: 'demo' })).toMatchObject({ by: 'Alice', reason: 'noisy deploy' });
    await say('/mute demo-backend 30m', { from: 'alice' });
    expect(await mutes.isMuted({ project: 'demo-backend' })).toMatchObject({ reason: 'none given' });
    const list = (await say('/mute', { from: 'alice' })).join('\n');
    expect(list).toContain('**demo-backend**: none given · Alice');
    expect(list).toContain('**demo**: noisy deploy · Alice');
    advance(2 * 3_600_000);
    expect(await mutes.isMuted({ product: 'demo' })).toBeUndefined();
    expect((await say('/mute', { from: 'alice' })).join('\n')).toContain('Nothing is muted');
  });

  it('unmute ends it early; unknown names, bad durations and viewers are answered', async () => {
    const { say, mutes } = await setup();
    await say('/mute demo 1d', { from: 'alice' });
    expect((await say('/unmute demo', { from: 'alice' })).join('\n')).toContain('Unmuted: demo');
    expect(await mutes.isMuted({ product: 'demo' })).toBeUndefined();
    expect((await say('/unmute demo', { from: 'alice' })).join('\n')).toContain('no mute set');
    expect((await say('/mute nope 1h', { from: 'alice' })).join('\n')).toContain('Valid: demo, demo-backend');
    expect((await say('/mute demo forever', { from: 'alice' })).join('\n')).toContain('Duration forever is not valid');
    expect((await say('/mute demo', { from: 'alice' })).join('\n')).toContain('Usage: /mute');
    expect((await say('/mute demo 1h', { from: 'bob' })).join('\n')).toMatch(/denied|not allowed|permission|role/i);
  });
});
