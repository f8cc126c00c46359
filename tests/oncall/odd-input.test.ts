// Odd input to the on-call, mute and freeze commands (second review of issue 18): a swap covers one's own
// shift only, durations past a year and impossible dates are usage errors, and nothing stored by them can
// break /status, /alerts or /mute afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { parseDuration, parseLocalDateTime } from '../../src/oncall/zoned-time.ts';
import { createTestBot } from '../helpers/test-bot.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

const T0 = Date.parse('2026-12-02T04:00:00Z'); // Wednesday, alice's week
const YAML = `
locale: en
chat: { console: false }
people:
  alice: { name: Alice, roles: [deployer] }
  bob: { name: Bob, roles: [] }
  carol: { name: Carol, roles: [] }
  dave: { name: Dave, roles: [] }
  root: { name: Root, roles: [admin] }
teams:
  payments: { members: [alice, bob], chats: ["test:team"], oncall: pay }
oncall:
  pay: { rotation: { every: week, handoff: "mon 10:00", start: "2026-11-30" }, members: [alice, bob, carol] }
products:
  demo:
    team: payments
    owners: [alice]
    components: [component-a]
    releases: { v1.1.0: { component-a: v1.1.0 } }
    environments:
      env-1: { engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
      prod: { protected: true, engine: { type: command, run: ["./scripts/deploy-demo.sh"] } }
`;

describe('odd input', () => {
  it('parses only real dates and durations up to a year', () => {
    expect(parseLocalDateTime('2026-02-31')).toBeUndefined();
    expect(parseLocalDateTime('2026-02-28')).toEqual({ date: '2026-02-28', time: '00:00' });
    expect(parseDuration('99999999d')).toBeUndefined();
    expect(parseDuration('366d')).toBe(366 * 86_400_000);
    expect(parseDuration('0m')).toBeUndefined();
  });

  it("a swap beyond one's own shift is refused; absurd durations and dates are usage errors, and nothing breaks after", async () => {
    const t = T0;
    const bot = await createTestBot({ yaml: YAML, clock: () => t });
    stop = () => bot.stop();
    const swap = (await bot.say('/oncall swap dave 10w', { from: 'alice' })).join('\n');
    expect(swap).toMatch(/own shift|自己这一班/);
    expect((await bot.say('/oncall pay', { from: 'bob' })).join('\n')).toContain('Alice');
    expect((await bot.say('/oncall swap dave 8h', { from: 'alice' })).join('\n')).toContain('Dave');
    for (const c of ['/freeze demo prod 99999999d test', '/mute demo 99999999d x', '/oncall override carol 2026-02-31 2026-12-24T18:00', '/oncall override carol now 99999999w']) {
      const out = (await bot.say(c, { from: 'root' })).join('\n');
      expect(out, c).not.toMatch(/went wrong|internal error|出错/i);
    }
    for (const c of ['/status', '/status demo', '/mute', '/deploy demo v1.1.0 env-1']) {
      const out = (await bot.say(c, { from: 'root' })).join('\n');
      expect(out, c).not.toMatch(/went wrong|internal error|出错/i);
    }
  });
});
