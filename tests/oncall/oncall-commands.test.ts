// /oncall, /oncall swap and /oncall override through the bot's neutral seam with a fake clock (issue 18
// "done when": `/oncall payments` names the right person before and after a handoff), and the handoff
// card in the team chat, posted by the handoff timer once the clock passes the handoff.
import { afterEach, describe, expect, it } from 'vitest';
import { replyToText } from '../../src/core/bot.ts';
import { createTestBot } from '../helpers/test-bot.ts';

type TB = Awaited<ReturnType<typeof createTestBot>>;
let tb: TB | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

const YAML = `
locale: en
chat: { console: false }
people:
  alice: { name: Alice }
  bob: { name: Bob }
  carol: { name: Carol }
  dave: { name: Dave }
  olga: { name: Olga, roles: [oncall-admin] }
  root: { name: Root, roles: [admin] }
teams:
  payments: { members: [alice, bob], chats: ["test:team"], oncall: payments-primary }
  web: { chats: ["test:web"], oncall: web-berlin }
products:
  demo: { team: payments, components: [a] }
oncall:
  payments-primary:
    rotation: { every: week, handoff: "mon 10:00", start: "2026-11-30" }
    members: [alice, bob]
    secondary: [carol]
  web-berlin:
    timezone: Europe/Berlin
    rotation: { every: day, handoff: "09:30", start: "2027-03-26" }
    members: [carol, dave]
`;

async function setup(now: number) {
  let t = now;
  tb = await createTestBot({ yaml: YAML, clock: () => t });
  return { ...tb, setNow: (ms: number) => (t = ms) };
}
const at = (iso: string) => Date.parse(iso);

describe('/oncall', () => {
  it('names the right person before and after a handoff, with who is next and when', async () => {
    const { say, setNow } = await setup(at('2026-12-07T01:59:00Z'));
    const before = (await say('/oncall payments', { from: 'bob' })).join('\n');
    expect(before).toContain('On call: payments (payments-primary)');
    expect(before).toMatch(/Primary: Alice/);
    expect(before).toMatch(/Secondary: Carol/);
    expect(before).toMatch(/Next: Bob \/ Carol/);
    expect(before).toContain('Handoff: 2026-12-07 10:00');
    setNow(at('2026-12-07T02:00:00Z'));
    const after = (await say('/oncall payments', { from: 'bob' })).join('\n');
    expect(after).toMatch(/Primary: Bob/);
    expect(after).toContain('Handoff: 2026-12-14 10:00');
    // the chat's own team when no name is given; a product name works too
    expect((await say('/oncall', { from: 'bob', chat: 'team' })).join('\n')).toMatch(/Primary: Bob/);
    expect((await say('/oncall demo', { from: 'bob' })).join('\n')).toMatch(/Primary: Bob/);
    expect((await say('/oncall nope', { from: 'bob' })).join('\n')).toContain('Schedules: payments-primary, web-berlin');
  });

  it('shows a Berlin daily rotation in its own zone across the spring change', async () => {
    const { say, setNow } = await setup(at('2027-03-27T12:00:00Z'));
    expect((await say('/oncall web')).join('\n')).toMatch(/Primary: Dave[\s\S]*Handoff: 2027-03-28 09:30 \(Europe\/Berlin\)/);
    setNow(at('2027-03-28T07:30:00Z')); // 09:30 CEST
    expect((await say('/oncall web')).join('\n')).toMatch(/Primary: Carol[\s\S]*Handoff: 2027-03-29 09:30 \(Europe\/Berlin\)/);
  });

  it('swap: the one on call hands over until the handoff; others may not', async () => {
    const { say, setNow } = await setup(at('2026-12-02T06:00:00Z'));
    expect((await say('/oncall swap dave', { from: 'bob', chat: 'team' })).join('\n')).toContain('Only Alice, who is on call now');
    expect((await say('/oncall swap dave', { from: 'alice', chat: 'team' })).join('\n')).toContain('Swapped: Dave takes over primary of payments-primary from Alice until 2026-12-07 10:00');
    const now = (await say('/oncall payments')).join('\n');
    expect(now).toMatch(/Primary: Dave \(swap\)/);
    expect(now).toMatch(/Next: Bob/);
    // the secondary swaps their own layer, for a given time
    expect((await say('/oncall swap alice 4h --team payments', { from: 'carol' })).join('\n')).toContain('secondary of payments-primary from Carol until 2026-12-02 18:00');
    setNow(at('2026-12-02T10:00:00Z'));
    expect((await say('/oncall payments')).join('\n')).toMatch(/Secondary: Carol/);
    expect((await say('/oncall swap nobody', { from: 'root', chat: 'team' })).join('\n')).toContain('Unknown person nobody');
  });

  it('override: an oncall-admin plans a period in the schedule\'s zone; a member may not', async () => {
    const { say, setNow } = await setup(at('2026-12-02T06:00:00Z'));
    expect((await say('/oncall override dave 2026-12-24T18:00 2026-12-26T10:00 --team payments', { from: 'alice' })).join('\n')).toMatch(/denied|not allowed|permission|role/i);
    const ok = (await say('/oncall override dave 2026-12-24T18:00 2026-12-26T10:00 --team payments', { from: 'olga' })).join('\n');
    expect(ok).toContain('Override: Dave is primary of payments-primary from 2026-12-24 18:00 to 2026-12-26 10:00');
    setNow(at('2026-12-24T10:00:00Z')); // 18:00 Shanghai
    expect((await say('/oncall payments')).join('\n')).toMatch(/Primary: Dave \(override\)[\s\S]*Next: Bob[\s\S]*Handoff: 2026-12-26 10:00/);
    setNow(at('2026-12-26T02:00:00Z'));
    expect((await say('/oncall payments')).join('\n')).toMatch(/Primary: Bob/);
    expect((await say('/oncall override dave 4h now --team payments', { from: 'olga' })).join('\n')).toContain('end must be after the start');
    expect((await say('/oncall override dave soon 4h --team payments', { from: 'olga' })).join('\n')).toContain('Time soon is not valid');
  });

  it('posts the handoff card in the team chat once the handoff passes, @-mentioning who takes over', async () => {
    const { adapter, setNow } = await setup(at('2026-12-07T01:59:00Z'));
    const sentBefore = adapter.sent.length;
    setNow(at('2026-12-07T02:00:01Z'));
    await adapter.waitFor(sentBefore + 1, 30_000);
    const card = adapter.sent.slice(sentBefore).find((m) => m.to === 'test:team');
    expect(card).toBeDefined();
    const text = replyToText(card!.reply);
    expect(text).toContain('On-call handoff: payments-primary');
    expect(text).toContain('Bob takes over from Alice until 2026-12-14 10:00');
    expect(text).toContain('Nothing open and unacknowledged');
    expect(card!.mentions).toEqual(['bob']);
  });
});
