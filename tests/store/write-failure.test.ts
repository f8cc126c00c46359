/**
 * A full disk (injected ENOSPC): the dedupe index learns a key only once it is durable, and a failed
 * write leaves no trace in memory or in the file.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../../src/core/errors.ts';
import { LowdbStore } from '../../src/store/lowdb-store.ts';
import { MemoryCollection } from '../../src/store/memory-store.ts';
import { enospc, SwitchableFaults } from '../../src/store/write-faults.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'opsbot-enospc-'));
const BULK = { tier: 'bulk' as const, maxItems: 100 };

describe('insertIfAbsent under a failing durable write', () => {
  it('memory collection: a failed write rolls the insert back, so a retry inserts (not a duplicate)', async () => {
    let failing = true;
    const c = new MemoryCollection<{ n: number }>(BULK, async (k) => {
      if (failing) throw enospc(k);
    });
    await expect(c.insertIfAbsent('a', { n: 1 })).rejects.toThrow(/ENOSPC/);
    expect(await c.get('a')).toBeUndefined();
    await expect(c.insertIfAbsent('a', { n: 1 })).rejects.toThrow(/ENOSPC/);
    failing = false;
    expect(await c.insertIfAbsent('a', { n: 1 })).toBe(true);
    expect(await c.insertIfAbsent('a', { n: 1 })).toBe(false);
  });

  it('memory collection: an insert racing an in-flight one that fails is not told "duplicate"', async () => {
    let calls = 0;
    const c = new MemoryCollection<{ n: number }>(BULK, async (k) => {
      await new Promise((r) => setTimeout(r, 10));
      if (++calls === 1) throw enospc(k);
    });
    const [first, second] = await Promise.allSettled([c.insertIfAbsent('a', { n: 1 }), c.insertIfAbsent('a', { n: 1 })]);
    expect(first.status).toBe('rejected');
    expect(second).toEqual({ status: 'fulfilled', value: true });
  });

  it('memory collection: a failed update or delete puts the previous value back; a failed insert evicts nothing', async () => {
    let failing = false;
    const c = new MemoryCollection<{ n: number }>({ tier: 'bulk', maxItems: 2 }, async (k) => {
      if (failing) throw enospc(k);
    });
    await c.put('a', { n: 1 });
    await c.put('b', { n: 2 });
    failing = true;
    await expect(c.update('a', () => ({ n: 9 }))).rejects.toThrow();
    await expect(c.delete('b')).rejects.toThrow();
    await expect(c.insertIfAbsent('c', { n: 3 })).rejects.toThrow();
    expect(await c.list()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('lowdb: ENOSPC → StorageUnavailableError, health failing, journal unchanged; after recovery inserted once and kept over a restart', async () => {
    const dir = tmp();
    const faults = new SwitchableFaults();
    const s = new LowdbStore(dir, { faults });
    await s.init();
    const c = s.collection<{ n: number }>('deliveries', BULK);
    expect(await c.insertIfAbsent('before', { n: 0 })).toBe(true);
    const file = path.join(dir, 'deliveries.jsonl');
    const size = statSync(file).size;
    faults.failing = true;
    const err = await c.insertIfAbsent('d1', { n: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toMatch(/ENOSPC/);
    expect(s.health.healthy).toBe(false);
    // The retry while the disk is still full is refused again, never "already have it".
    await expect(c.insertIfAbsent('d1', { n: 1 })).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(statSync(file).size).toBe(size);
    expect(await s.health.check()).toBe(false);
    faults.failing = false;
    await new Promise((r) => setTimeout(r, 1001)); // the probe runs at most once a second
    expect(await s.health.check()).toBe(true);
    expect(await c.insertIfAbsent('d1', { n: 1 })).toBe(true);
    expect(await c.insertIfAbsent('d1', { n: 1 })).toBe(false);
    await s.close();
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"d1"'))).toHaveLength(1);
    const again = new LowdbStore(dir);
    await again.init();
    expect(await again.collection('deliveries', BULK).get('d1')).toEqual({ n: 1 });
    await again.close();
  });

  it('lowdb hot file: a failed flush rolls back the change and the sequence', async () => {
    const dir = tmp();
    const faults = new SwitchableFaults();
    const s = new LowdbStore(dir, { faults });
    await s.init();
    const hot = s.collection<{ n: number }>('tasks', { tier: 'hot' });
    faults.failing = true;
    await expect(hot.insertIfAbsent('t1', { n: 1 })).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(s.nextSequence('task')).rejects.toBeInstanceOf(StorageUnavailableError);
    faults.failing = false;
    expect(await hot.get('t1')).toBeUndefined();
    expect(await s.nextSequence('task')).toBe(1);
    await s.close();
  });
});
