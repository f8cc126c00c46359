/**
 * The Store contract every driver must meet (memory, lowdb, postgres): one suite, run by each driver's
 * test file, so the drivers cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.ts';

export function storeContract(name: string, make: () => Promise<Store>): void {
  describe(`${name} store: collection semantics`, () => {
    it('put/get/insertIfAbsent/update/delete/list/count', async () => {
      const s = await make();
      const c = s.collection<{ v: number }>('things', { tier: 'hot' });
      expect(await c.insertIfAbsent('a', { v: 1 })).toBe(true);
      expect(await c.insertIfAbsent('a', { v: 2 })).toBe(false);
      await c.put('b', { v: 3 });
      expect(await c.update('a', (cur) => ({ v: (cur?.v ?? 0) + 10 }))).toEqual({ v: 11 });
      expect(await c.list()).toEqual([{ v: 11 }, { v: 3 }]);
      expect(await c.list({ newestFirst: true, limit: 1 })).toEqual([{ v: 3 }]);
      expect(await c.delete('b')).toBe(true);
      expect(await c.count()).toBe(1);
      expect(await s.nextSequence('task')).toBe(1);
      expect(await s.nextSequence('task')).toBe(2);
      await s.close();
    });
    it('concurrent updates of one key all apply (none lost), from absent and from present; undefined deletes', async () => {
      const s = await make();
      const c = s.collection<{ v: number; by: number[] }>('counters', { tier: 'hot' });
      const bump = (i: number) => c.update('n', (cur) => ({ v: (cur?.v ?? 0) + 1, by: [...(cur?.by ?? []), i] }));
      await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i)));
      await Promise.all(Array.from({ length: 20 }, (_, i) => bump(20 + i)));
      const got = await c.get('n');
      expect(got?.v).toBe(40);
      expect([...got!.by].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(await c.update('n', () => undefined)).toBeUndefined();
      expect(await c.get('n')).toBeUndefined();
      expect(await c.update('absent', () => undefined)).toBeUndefined();
      expect(await c.count()).toBe(0);
      await s.close();
    });
    it('bulk retention keeps the newest maxItems', async () => {
      const s = await make();
      const c = s.collection<number>('deliveries', { tier: 'bulk', maxItems: 3 });
      for (let i = 0; i < 5; i++) await c.put(`k${i}`, i);
      expect(await c.list()).toEqual([2, 3, 4]);
      await s.close();
    });
    it('bulk retention never drops what keepWhile protects (a delivery not processed yet)', async () => {
      const s = await make();
      type D = { status: string; n: number };
      const c = s.collection<D>('deliveries-kept', { tier: 'bulk', maxItems: 3, keepWhile: { field: 'status', equals: 'pending' } });
      await c.put('p0', { status: 'pending', n: 0 });
      await c.put('p1', { status: 'pending', n: 1 });
      for (let i = 2; i < 9; i++) await c.put(`k${i}`, { status: 'processed', n: i });
      let ns = (await c.list()).map((x) => x.n);
      expect(ns).toEqual(expect.arrayContaining([0, 1, 8]));
      expect(ns).not.toContain(2);
      // Once processed, it is retained like any other.
      await c.update('p0', (d) => (d ? { ...d, status: 'processed' } : d));
      for (let i = 9; i < 14; i++) await c.put(`k${i}`, { status: 'processed', n: i });
      ns = (await c.list()).map((x) => x.n);
      expect(ns).toContain(1);
      expect(ns).not.toContain(0);
      await s.close();
    });
    it('task logs append and tail; audit lists newest first', async () => {
      const s = await make();
      await s.appendLog('7', ['a', 'b']);
      await s.appendLog('7', ['c']);
      expect(await s.readLog('7', { tail: 2 })).toEqual(['b', 'c']);
      await s.audit({ at: 'x', actor: 'alice', platform: 'test', chat: 'c', command: '/a', outcome: 'ok' });
      await s.audit({ at: 'y', actor: 'alice', platform: 'test', chat: 'c', command: '/b', outcome: 'ok' });
      expect((await s.listAudit({ limit: 1 }))[0]?.command).toBe('/b');
      await s.close();
    });
  });
}
