// Item 7 of the hardening issue: a damaged bulk journal is reported (file, lines, what was kept), moved
// aside as `<name>.corrupt-<timestamp>` (never overwritten), and its valid lines are kept.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb-store.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'opsbot-corrupt-'));
const file = (dir: string) => path.join(dir, 'deliveries.jsonl');
const asides = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('deliveries.jsonl.corrupt-'));

function capture() {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  return { warnings, log: { warn: (obj: object, msg: string) => void warnings.push({ obj: obj as Record<string, unknown>, msg }) } };
}

async function write30(dir: string): Promise<void> {
  const s = new LowdbStore(dir);
  await s.init();
  const c = s.collection<{ n: number }>('deliveries', { tier: 'bulk' });
  for (let i = 1; i <= 30; i++) await c.put(`d${i}`, { n: i });
  await s.close();
}

async function open(dir: string, log = capture().log) {
  const s = new LowdbStore(dir, { log, clock: () => Date.UTC(2026, 11, 1, 12) });
  await s.init();
  const c = s.collection<{ n: number }>('deliveries', { tier: 'bulk' });
  return { s, c, count: await c.count() };
}

describe('a damaged deliveries.jsonl', () => {
  it('overwritten with random bytes: warns naming the file, keeps the original aside, starts empty', async () => {
    const dir = tmp();
    await write30(dir);
    const garbage = randomBytes(4096);
    garbage[0] = 0xff; // line 1 is never empty
    writeFileSync(file(dir), garbage);
    const { warnings, log } = capture();
    const { s, count } = await open(dir, log);
    await s.close();
    expect(count).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(file(dir));
    expect(warnings[0]!.msg).toMatch(/damaged \(line 1/);
    expect(warnings[0]!.obj).toMatchObject({ file: file(dir), kept: 0, firstDamagedLine: 1 });
    const moved = asides(dir);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatch(/^deliveries\.jsonl\.corrupt-2026-12-01T12-00-00-000Z$/);
    expect(readFileSync(path.join(dir, moved[0]!)).equals(garbage)).toBe(true);
    expect(String(warnings[0]!.obj.movedTo)).toBe(path.join(dir, moved[0]!));
  });

  it('damaged lines in the middle: the valid lines are kept, the file is rewritten, the next start is quiet', async () => {
    const dir = tmp();
    await write30(dir);
    const ls = readFileSync(file(dir), 'utf8').split('\n');
    ls[4] = '{"k":"d5","v":{"n":5},"t":1'; // cut
    ls[9] = '\u0000\u0000\u0000\u0000';
    ls[14] = '[1,2,3]'; // JSON, but not a journal line
    const original = ls.join('\n');
    writeFileSync(file(dir), original);
    const { warnings, log } = capture();
    const first = await open(dir, log);
    await first.s.close();
    expect(first.count).toBe(27);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('3 of 30 lines are damaged (line 5, 10, 15)');
    expect(warnings[0]!.msg).toContain('kept the 27 entries');
    expect(readFileSync(path.join(dir, asides(dir)[0]!), 'utf8')).toBe(original);
    // Rewritten from the valid lines: the next start finds nothing to report and moves nothing.
    const again = capture();
    const second = await open(dir, again.log);
    expect(second.count).toBe(27);
    expect(await second.c.get('d6')).toEqual({ n: 6 });
    await second.s.close();
    expect(again.warnings).toEqual([]);
    expect(asides(dir)).toHaveLength(1);
  });

  it('never overwrites an earlier moved-aside copy', async () => {
    const dir = tmp();
    for (let round = 0; round < 2; round++) {
      writeFileSync(file(dir), `garbage ${round}\n`);
      const { s } = await open(dir); // same clock: same timestamp both times
      await s.close();
    }
    const moved = asides(dir).sort();
    expect(moved).toHaveLength(2);
    expect(moved.map((f) => readFileSync(path.join(dir, f), 'utf8')).sort()).toEqual(['garbage 0\n', 'garbage 1\n']);
  });

  it('an interrupted last write is not damage, and the next append cuts it off', async () => {
    const dir = tmp();
    await write30(dir);
    appendFileSync(file(dir), '{"k":"d31","v":{"n":'); // torn tail, no newline
    const { warnings, log } = capture();
    const first = await open(dir, log);
    expect(first.count).toBe(30);
    await first.c.put('d32', { n: 32 });
    await first.s.close();
    expect(warnings).toEqual([]);
    expect(asides(dir)).toEqual([]);
    // The append cut the torn tail off: the next start finds only whole lines (it used to find the torn
    // line between whole ones, report damage and move the journal aside; seen in CI after a SIGKILL).
    expect(readFileSync(file(dir), 'utf8').split('\n').filter(Boolean).every((l) => JSON.parse(l) as unknown)).toBe(true);
    const again = capture();
    const second = await open(dir, again.log);
    expect(await second.c.get('d32')).toEqual({ n: 32 });
    expect(second.count).toBe(31);
    await second.s.close();
    expect(again.warnings).toEqual([]);
    expect(asides(dir)).toEqual([]);
  });

  it('a look at a journal with a torn tail that appends nothing leaves the file as it was', async () => {
    const dir = tmp();
    await write30(dir);
    appendFileSync(file(dir), '{"k":"d31","v":{"n":');
    const before = readFileSync(file(dir));
    const look = await open(dir);
    expect(look.count).toBe(30);
    await look.s.close();
    expect(readFileSync(file(dir))).toEqual(before);
  });
});
