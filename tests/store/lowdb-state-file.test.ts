// Item 7 of the hardening issue: a state.json that cannot be read stops start-up with an error that names
// the file and says what to do; it is left untouched.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore, StateFileError } from '../../src/store/lowdb-store.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'opsbot-state-'));

describe('an unreadable state.json', () => {
  it.each([
    ['not JSON', '{"collections": {"tasks": [["1", {"id":'],
    ['random bytes', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b]).toString('latin1')],
    ['wrong shape', '{"collections": {"tasks": "oops"}, "sequences": {}}'],
    ['a JSON array', '[1, 2, 3]'],
  ])('%s: init fails naming the file and the way out, and leaves the file as it was', async (_name, content) => {
    const dir = tmp();
    const file = path.join(dir, 'state.json');
    writeFileSync(file, content, 'latin1');
    const before = readFileSync(file);
    const err = await new LowdbStore(dir).init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StateFileError);
    const msg = (err as Error).message;
    expect(msg).toContain(file);
    expect(msg).toMatch(/Restore it from a backup/);
    expect(msg).toMatch(/start with empty state/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a missing state.json is a first start, and a valid one still loads', async () => {
    const dir = tmp();
    const s = new LowdbStore(dir);
    await s.init();
    expect(await s.nextSequence('task')).toBe(1);
    await s.close();
    const again = new LowdbStore(dir);
    await again.init();
    expect(await again.nextSequence('task')).toBe(2);
    await again.close();
  });
});
