// A bulk journal is read back line by line: read as one string, a file over V8's string cap (~512 MiB)
// threw `RangeError: Invalid string length` and the store could not open (found by the 100 000-stored
// bench row: 100 000 deliveries of 4.2 KB are ~570 MB of journal).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayJournalFile } from '../../src/store/journal-replay.ts';
import { LowdbStore } from '../../src/store/lowdb-store.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'opsbot-journal-large-'));

describe('reading a journal back in chunks', () => {
  it('gives the same rows, line count and damaged lines whatever the chunk size (multi-byte text, patches, deletes, damage, a torn tail)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'deliveries.jsonl');
    const body = `告警：数据库连接池耗尽 🚨 ${'x'.repeat(1500)}`;
    const b64 = Buffer.from(body, 'utf8').toString('base64');
    const text = [
      JSON.stringify({ k: 'a', v: { body: '', status: 'pending' }, t: 1 }).slice(0, -1) + `,"b":{"body":"${b64}"}}`,
      JSON.stringify({ k: 'b', v: { note: '中文 ü' }, t: 2 }),
      '',
      '{not json',
      JSON.stringify({ k: 'a', p: { status: 'processed' } }),
      JSON.stringify({ k: 'ghost', p: { status: 'processed' } }), // a patch without its base: damage
      JSON.stringify({ k: 'b', d: 1 }),
      JSON.stringify({ k: 'c', v: 3, t: 4 }),
      JSON.stringify({ k: 'e', v: 5, t: 5, b: { body: b64 } }), // `b` beside a non-object: damage
      JSON.stringify({ k: 'f', v: { body: '' }, t: 6, b: { body: '{"not":"base64"}' } }), // not base64: damage
      '{"k":"d","v":{"n":', // torn tail
    ].join('\n');
    writeFileSync(file, text);
    const whole = await replayJournalFile(file, () => 9, { chunk: 1 << 20 }); // the whole file in one read
    expect(whole.damaged).toEqual([4, 6, 9, 10]);
    expect(whole.unterminated).toBe(true);
    expect(whole.lines).toBe(10);
    expect([...whole.rows.keys()]).toEqual(['a', 'c']);
    expect(whole.rows.get('a')![1]).toEqual({ body, status: 'processed' });
    for (const chunk of [1, 2, 3, 7, 64, 1000]) {
      const r = await replayJournalFile(file, () => 9, { chunk });
      expect([...r.rows.entries()], `chunk ${chunk}`).toEqual([...whole.rows.entries()]);
      expect({ lines: r.lines, damaged: r.damaged, unterminated: r.unterminated }).toEqual({ lines: whole.lines, damaged: whole.damaged, unterminated: whole.unterminated });
    }
  });

  it('a line past the length limit is damage, counted without being decoded; the lines after it are kept', async () => {
    const dir = tmp();
    const file = path.join(dir, 'deliveries.jsonl');
    writeFileSync(file, [JSON.stringify({ k: 'a', v: 1, t: 1 }), 'y'.repeat(5000), JSON.stringify({ k: 'b', v: 2, t: 2 }), ''].join('\n'));
    const r = await replayJournalFile(file, Date.now, { chunk: 256, maxLineBytes: 1024 });
    expect(r.damaged).toEqual([2]);
    expect([...r.rows.keys()]).toEqual(['a', 'b']);
    expect(r.unterminated).toBe(false);
  });

  it('a journal over 512 MiB opens, and the last write of every key wins', async () => {
    const dir = tmp();
    const file = path.join(dir, 'deliveries.jsonl');
    const body = Buffer.from(`{"event":"${'e'.repeat(4200)}"}`, 'utf8').toString('base64');
    const round = (n: number) =>
      Buffer.from(
        Array.from({ length: 1000 }, (_, i) => `{"k":"d${i}","v":{"body":"","status":"processed","round":${n}},"t":${i + 1},"b":{"body":"${body}"}}\n`).join(''),
      );
    const fd = openSync(file, 'w');
    const same = round(0);
    // ~5.7 MB per round of 1 000 lines: 100 rounds pass V8's string cap of 2^29 - 24 characters.
    for (let n = 0; n < 99; n++) writeSync(fd, same);
    writeSync(fd, round(99));
    closeSync(fd);
    expect(statSync(file).size).toBeGreaterThan(2 ** 29);
    expect(() => readFileSync(file, 'utf8')).toThrow(/Invalid string length|string longer than/);

    const s = new LowdbStore(dir);
    await s.init();
    const c = s.collection<{ body: string; status: string; round: number }>('deliveries', { tier: 'bulk' });
    expect(await c.count()).toBe(1000);
    const d7 = await c.get('d7');
    expect(d7?.round).toBe(99);
    expect(d7?.body).toBe(`{"event":"${'e'.repeat(4200)}"}`);
    await s.close();
    // Loading compacted it: 100 000 lines for 1 000 live entries.
    expect(statSync(file).size).toBeLessThan(10 * 2 ** 20);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
