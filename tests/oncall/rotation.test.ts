// Rotation arithmetic (src/oncall/rotation.ts, service.ts) with a fake clock: daily and weekly handoffs,
// the default zone (no daylight saving) and Europe/Berlin across both DST changes, layers, swaps and
// overrides that end by themselves.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { handoffCron, shiftAt } from '../../src/oncall/rotation.ts';
import { scheduleSchema } from '../../src/oncall/config.ts';
import { createOncallService } from '../../src/oncall/service.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('rotation', () => {
  it('turns handoffs into cron patterns', () => {
    expect(handoffCron({ every: 'week', handoff: 'mon 10:00', start: '2026-11-30' })).toBe('0 10 * * 1');
    expect(handoffCron({ every: 'day', handoff: '09:30', start: '2026-11-30' })).toBe('30 9 * * *');
  });

  it('weekly in Asia/Shanghai: the first member from the start date\'s handoff, then in order', () => {
    const s = scheduleSchema.parse({ rotation: { every: 'week', handoff: 'mon 10:00', start: '2026-11-30' }, members: ['alice', 'bob'] });
    expect(shiftAt(s, at('2026-11-30T01:59:00Z')).index).toBe(-1); // 09:59 local, before the first shift
    const first = shiftAt(s, at('2026-11-30T02:00:00Z'));
    expect(first).toMatchObject({ index: 0, start: at('2026-11-30T02:00:00Z'), end: at('2026-12-07T02:00:00Z') });
    expect(shiftAt(s, at('2026-12-07T01:59:59Z')).index).toBe(0);
    expect(shiftAt(s, at('2026-12-07T02:00:00Z')).index).toBe(1);
    expect(shiftAt(s, at('2027-06-01T00:00:00Z')).index).toBe(26);
  });

  it('a weekly start date that is not the handoff day begins at the first handoff after it', () => {
    const s = scheduleSchema.parse({ rotation: { every: 'week', handoff: 'mon 10:00', start: '2026-12-02' }, members: ['alice', 'bob'] });
    expect(iso(shiftAt(s, at('2026-12-03T00:00:00Z')).end)).toBe('2026-12-07T02:00:00.000Z');
    expect(shiftAt(s, at('2026-12-07T02:00:00Z')).index).toBe(0);
  });

  it('Europe/Berlin keeps 10:00 local across the spring and autumn changes, and shifts stay in order', () => {
    const s = scheduleSchema.parse({ timezone: 'Europe/Berlin', rotation: { every: 'week', handoff: 'mon 10:00', start: '2027-03-15' }, members: ['a', 'b', 'c'] });
    // before 28 March 2027 Berlin is UTC+1 (handoff 09:00Z), after it UTC+2 (08:00Z)
    expect(shiftAt(s, at('2027-03-22T09:00:00Z'))).toMatchObject({ index: 1, end: at('2027-03-29T08:00:00Z') });
    expect(shiftAt(s, at('2027-03-29T07:59:00Z')).index).toBe(1);
    expect(shiftAt(s, at('2027-03-29T08:00:00Z')).index).toBe(2);
    // autumn: 31 October 2027 back to UTC+1
    const oct = shiftAt(s, at('2027-10-26T12:00:00Z'));
    expect(iso(oct.end)).toBe('2027-11-01T09:00:00.000Z');
    expect(shiftAt(s, at('2027-11-01T09:00:00Z')).index).toBe(oct.index + 1);
  });

  it('daily at 09:30 across the Berlin spring change: every shift starts at 09:30 local', () => {
    const s = scheduleSchema.parse({ timezone: 'Europe/Berlin', rotation: { every: 'day', handoff: '09:30', start: '2027-03-26' }, members: ['a', 'b'] });
    expect(shiftAt(s, at('2027-03-27T08:30:00Z'))).toMatchObject({ index: 1, end: at('2027-03-28T07:30:00Z') });
    expect(shiftAt(s, at('2027-03-28T07:30:00Z')).index).toBe(2);
    expect(shiftAt(s, at('2027-03-29T07:29:00Z')).index).toBe(2);
  });

  it('rejects a handoff in the wrong form and an unknown zone', () => {
    expect(scheduleSchema.safeParse({ rotation: { every: 'week', handoff: '10:00', start: '2026-11-30' }, members: ['a'] }).success).toBe(false);
    expect(scheduleSchema.safeParse({ rotation: { every: 'day', handoff: 'mon 10:00', start: '2026-11-30' }, members: ['a'] }).success).toBe(false);
    expect(scheduleSchema.safeParse({ timezone: 'Mars/Olympus', rotation: { every: 'day', handoff: '10:00', start: '2026-11-30' }, members: ['a'] }).success).toBe(false);
  });
});

const YAML = `
people:
  alice: { name: Alice }
  bob: { name: Bob }
  carol: { name: Carol }
  dave: { name: Dave }
teams:
  payments: { chats: ["test:team"], oncall: payments-primary }
products:
  demo: { team: payments, components: [a] }
oncall:
  payments-primary:
    rotation: { every: week, handoff: "mon 10:00", start: "2026-11-30" }
    members: [alice, bob]
    secondary: [carol, dave]
`;

function service(now: () => number) {
  const { config } = loadConfig({ file: 't.yaml', text: YAML, env: {} });
  return createOncallService({ config, store: new MemoryStore(), clock: now });
}

describe('whoIsOnCall', () => {
  it('names primary, secondary, who is next and the handoff, by team, schedule or product', async () => {
    const s = service(() => at('2026-12-02T06:00:00Z'));
    const now = await s.whoIsOnCall('payments');
    expect(now).toMatchObject({ schedule: 'payments-primary', primary: 'alice', secondary: 'carol', next: 'bob', nextSecondary: 'dave', handoffAt: at('2026-12-07T02:00:00Z') });
    expect((await s.whoIsOnCall('demo'))?.primary).toBe('alice');
    expect((await s.whoIsOnCall('payments-primary', at('2026-12-07T02:00:00Z')))?.primary).toBe('bob');
    expect(await s.whoIsOnCall('nope')).toBeUndefined();
  });

  it('an override takes the duty for its period only, and the next change is its end', async () => {
    let t = at('2026-12-02T06:00:00Z');
    const s = service(() => t);
    await s.addOverride({ schedule: 'payments-primary', layer: 'primary', person: 'dave', from: at('2026-12-03T01:00:00Z'), to: at('2026-12-03T13:00:00Z'), kind: 'override', by: 'root' });
    let now = await s.whoIsOnCall('payments');
    // the next change is the override's start, and dave is next
    expect(now).toMatchObject({ primary: 'alice', next: 'dave', handoffAt: at('2026-12-03T01:00:00Z') });
    t = at('2026-12-03T02:00:00Z');
    now = await s.whoIsOnCall('payments');
    expect(now).toMatchObject({ primary: 'dave', secondary: 'carol', next: 'alice', handoffAt: at('2026-12-03T13:00:00Z') });
    expect(now?.overrides.primary?.kind).toBe('override');
    t = at('2026-12-03T13:00:00Z');
    expect((await s.whoIsOnCall('payments'))?.primary).toBe('alice');
  });

  it('the latest swap wins over an earlier override of the same time, on its own layer', async () => {
    let t = at('2026-12-02T06:00:00Z');
    const s = service(() => t);
    await s.addOverride({ schedule: 'payments-primary', layer: 'secondary', person: 'bob', from: t, to: t + 3_600_000, kind: 'override', by: 'root' });
    t += 1;
    await s.addOverride({ schedule: 'payments-primary', layer: 'secondary', person: 'alice', from: t, to: t + 7_200_000, kind: 'swap', by: 'carol' });
    const now = await s.whoIsOnCall('payments');
    expect(now).toMatchObject({ primary: 'alice', secondary: 'alice' });
    expect((await s.whoIsOnCall('payments', t + 3_700_000))?.secondary).toBe('alice');
    expect((await s.whoIsOnCall('payments', t + 7_300_000))?.secondary).toBe('carol');
  });
});
